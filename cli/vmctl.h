/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl: the verb table, the options every verb sees, the exit codes, one entry per verb. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct sd_bus sd_bus;

/* Exit codes (documented in --help and vmctl(1)); D-Bus errors map to them in client.c. */
enum {
        VMCTL_EXIT_OK = 0,
        VMCTL_EXIT_FAILURE = 1,        /* anything else, org.hvd1.Error.Failed */
        VMCTL_EXIT_USAGE = 2,          /* bad command line */
        VMCTL_EXIT_NO_SUCH_VM = 3,     /* org.hvd1.Error.NoSuchVM */
        VMCTL_EXIT_INVALID_STATE = 4,  /* org.hvd1.Error.InvalidState */
        VMCTL_EXIT_INVALID_CONFIG = 5, /* org.hvd1.Error.InvalidConfig, unusable definition file */
        VMCTL_EXIT_ACCESS_DENIED = 6,  /* org.hvd1.Error.AccessDenied, bus policy */
        VMCTL_EXIT_TIMEOUT = 7,        /* org.hvd1.Error.Timeout, no reply in time */
        VMCTL_EXIT_UNREACHABLE = 8,    /* no bus, or hvd is not on it */
        VMCTL_EXIT_EXISTS = 9,         /* org.hvd1.Error.Exists */
        VMCTL_EXIT_NOT_SUPPORTED = 10, /* org.hvd1.Error.NotSupported */
        VMCTL_EXIT_LIMIT = 11,         /* org.hvd1.Error.LimitExceeded */
};

/* Options a verb may accept besides the global ones (bit set in struct vmctl_verb.options). */
enum {
        VMCTL_OPT_TIMEOUT = 1 << 0,
        VMCTL_OPT_LOG = 1 << 1,
        VMCTL_OPT_ALL = 1 << 2, /* instead of the NAME argument */
};

/* What the command line asked for; the bus is opened by the dispatcher for verbs that need it. */
struct vmctl {
        const char *verb;     /* for messages: "vmctl: <verb> <name>: ..." */
        bool user;            /* session bus instead of the system bus */
        const char *address;  /* explicit bus address (--address) */
        bool json;
        bool log;             /* console --log */
        bool all;             /* --all: every VM concerned, no NAME */
        bool timeout_set;
        uint64_t timeout_usec;
        sd_bus *bus;
};

struct vmctl_verb {
        const char *name;
        int (*run)(struct vmctl *v, int argc, char **argv); /* returns an exit code */
        int min_args, max_args;
        unsigned options; /* VMCTL_OPT_* */
        bool needs_bus;
        const char *args;    /* synopsis of the arguments, for --help */
        const char *summary; /* one line, for --help */
};

/* The verb table, in the order --help lists it (vmctl.c). */
extern const struct vmctl_verb vmctl_verbs[];
extern const unsigned vmctl_verbs_count;

int vmctl_list(struct vmctl *v, int argc, char **argv);
int vmctl_host(struct vmctl *v, int argc, char **argv);
int vmctl_define(struct vmctl *v, int argc, char **argv);
int vmctl_undefine(struct vmctl *v, int argc, char **argv);
int vmctl_start(struct vmctl *v, int argc, char **argv);
int vmctl_shutdown(struct vmctl *v, int argc, char **argv);
int vmctl_stop(struct vmctl *v, int argc, char **argv);
int vmctl_pause(struct vmctl *v, int argc, char **argv);
int vmctl_resume(struct vmctl *v, int argc, char **argv);
int vmctl_reset(struct vmctl *v, int argc, char **argv);
int vmctl_status(struct vmctl *v, int argc, char **argv);
int vmctl_console(struct vmctl *v, int argc, char **argv);
int vmctl_help(struct vmctl *v, int argc, char **argv);

/* Prints the usage of one verb, or of vmctl when verb is NULL, to stdout. */
void vmctl_usage(const struct vmctl_verb *verb);
const struct vmctl_verb *vmctl_verb_find(const char *name);
