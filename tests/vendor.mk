# tests for the vendor plugins, their registry and hvd --check-host.
# Fixture plugins (built, never installed): one that claims every host with an old, short
# ops table, one with a wrong ABI major, one without the entry symbol, one with no name, one
# that registers with a forged host table, one whose table lacks a mandatory op.
TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-rpath $(abs_builddir)/tests/plugins
TEST_PLUGIN_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
check_LTLIBRARIES += tests/plugins/claim-all.la tests/plugins/abi-major.la \
	tests/plugins/no-entry.la tests/plugins/no-name.la tests/plugins/forged-host.la \
	tests/plugins/no-mandatory.la
tests_plugins_claim_all_la_SOURCES = tests/plugins/claim-all.c
tests_plugins_claim_all_la_CFLAGS = $(TEST_PLUGIN_CFLAGS)
tests_plugins_claim_all_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_abi_major_la_SOURCES = tests/plugins/abi-major.c
tests_plugins_abi_major_la_CFLAGS = $(TEST_PLUGIN_CFLAGS)
tests_plugins_abi_major_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_entry_la_SOURCES = tests/plugins/no-entry.c
tests_plugins_no_entry_la_CFLAGS = $(TEST_PLUGIN_CFLAGS)
tests_plugins_no_entry_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_name_la_SOURCES = tests/plugins/no-name.c
tests_plugins_no_name_la_CFLAGS = $(TEST_PLUGIN_CFLAGS)
tests_plugins_no_name_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_forged_host_la_SOURCES = tests/plugins/forged-host.c
tests_plugins_forged_host_la_CFLAGS = $(TEST_PLUGIN_CFLAGS)
tests_plugins_forged_host_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_mandatory_la_SOURCES = tests/plugins/no-mandatory.c
tests_plugins_no_mandatory_la_CFLAGS = $(TEST_PLUGIN_CFLAGS)
tests_plugins_no_mandatory_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

# The registry (core: also run under the sanitizers), the plugins' own logic, check-host.
check_PROGRAMS += tests/test-vendor-registry tests/test-vendor-plugins tests/test-vendor-check-host
TESTS += tests/test-vendor-registry tests/test-vendor-plugins tests/test-vendor-check-host
CORE_TESTS += tests/test-vendor-registry tests/test-vendor-plugins

tests_test_vendor_registry_SOURCES = tests/test-vendor-registry.c tests/test-vendor-host.h
tests_test_vendor_registry_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_vendor_registry_LDADD = $(HV_TEST_LIBS)

# Links plugins/common directly to test its parsers with hostile input.
tests_test_vendor_plugins_SOURCES = tests/test-vendor-plugins.c tests/test-vendor-host.h \
	plugins/common/host.c plugins/common/cpuid.c plugins/common/plugin.c
tests_test_vendor_plugins_CFLAGS = $(HV_TEST_CFLAGS) -I$(top_srcdir)/plugins/common
tests_test_vendor_plugins_LDADD = $(HV_TEST_LIBS)

tests_test_vendor_check_host_SOURCES = tests/test-vendor-check-host.c tests/test-vendor-host.h daemon/check-host.c daemon/check-host.h
tests_test_vendor_check_host_CFLAGS = $(HV_TEST_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/daemon -I$(top_srcdir)/daemon/common
tests_test_vendor_check_host_LDADD = $(HV_TEST_LIBS) $(JSONC_LIBS)

# hv_host_info_get: /dev/kvm, its capabilities and the limits of one VM (core).
check_PROGRAMS += tests/test-host-info
TESTS += tests/test-host-info
CORE_TESTS += tests/test-host-info
tests_test_host_info_SOURCES = tests/test-host-info.c
tests_test_host_info_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_host_info_LDADD = $(HV_TEST_LIBS)
