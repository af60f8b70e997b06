# cli: vmctl, the D-Bus client of hvd (one file per verb, a shared client and output layer)
bin_PROGRAMS += cli/vmctl
cli_vmctl_SOURCES = \
	cli/vmctl.c cli/vmctl.h \
	cli/client.c cli/client.h \
	cli/output.c cli/output.h \
	cli/all.c cli/all.h \
	cli/builtin-list.c \
	cli/builtin-host.c \
	cli/builtin-define.c \
	cli/builtin-undefine.c \
	cli/builtin-start.c \
	cli/builtin-shutdown.c \
	cli/builtin-stop.c \
	cli/builtin-pause.c \
	cli/builtin-resume.c \
	cli/builtin-reset.c \
	cli/builtin-status.c \
	cli/builtin-console.c
cli_vmctl_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(JSONC_CFLAGS)
cli_vmctl_LDADD = $(LIBSYSTEMD_LIBS) $(JSONC_LIBS)
dist_man_MANS += man/vmctl.1
# bash-completion looks the script up by the command's name: install a copy named vmctl
# (cli/vmctl is the program itself, hence the subdirectory).
nodist_bashcompletion_DATA = cli/completion/vmctl
EXTRA_DIST += cli/vmctl.bash-completion
CLEANFILES += cli/completion/vmctl
cli/completion/vmctl: cli/vmctl.bash-completion
	$(AM_V_GEN)$(MKDIR_P) cli/completion && cp $(srcdir)/cli/vmctl.bash-completion $@
all_local += cli/completion/vmctl
