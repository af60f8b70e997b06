# plugins: the x86 vendor plugins, libtool modules exporting only hv_vendor_plugin_entry.
# Sources live in plugins/<name>/ and plugins/common/ (compiled into each); the modules are
# output as plugins/<name>.la, and all-local links plugins/<name>.so to the built module so
# that $HVD_PLUGIN_DIR (= $(abs_top_builddir)/plugins) can be scanned like the installed
# $(pluginsdir). A plugin never links libhvcore.
PLUGIN_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -I$(top_srcdir)/plugins/common
PLUGIN_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^hv_vendor_plugin_entry$$'
PLUGIN_COMMON_SOURCES = \
	plugins/common/plugin.h plugins/common/plugin.c \
	plugins/common/host.c plugins/common/cpuid.c

plugins_LTLIBRARIES += plugins/x86-svm.la plugins/x86-vmx.la
plugins_x86_svm_la_SOURCES = plugins/x86-svm/svm.c $(PLUGIN_COMMON_SOURCES)
plugins_x86_svm_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_x86_svm_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_x86_vmx_la_SOURCES = plugins/x86-vmx/vmx.c $(PLUGIN_COMMON_SOURCES)
plugins_x86_vmx_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_x86_vmx_la_LDFLAGS = $(PLUGIN_LDFLAGS)

PLUGIN_NAMES = x86-svm x86-vmx
plugins-build-links: $(plugins_LTLIBRARIES)
	$(AM_V_at)for p in $(PLUGIN_NAMES); do \
		ln -sf .libs/$$p.so plugins/$$p.so || exit 1; \
	done
all_local += plugins-build-links
CLEANFILES += plugins/x86-svm.so plugins/x86-vmx.so
.PHONY: plugins-build-links

EXTRA_DIST += plugins/README.md
