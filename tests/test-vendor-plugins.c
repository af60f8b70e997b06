/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor plugins' own logic: host parsers fed hostile input (plugins/common, linked in),
 * and each real plugin driven through its entry by this test acting as the core, so that
 * x86-vmx is exercised on an AMD host and x86-svm on an Intel one. */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "hv-test.h"
#include "macros.h"
#include "plugin.h"
#include "test-vendor-host.h"

/* ---- host parsers ---- */

START_TEST(test_vendor_in_list)
{
        ck_assert(plugin_vendor_in_list("AuthenticAMD", "AuthenticAMD HygonGenuine"));
        ck_assert(plugin_vendor_in_list("HygonGenuine", "AuthenticAMD HygonGenuine"));
        ck_assert(plugin_vendor_in_list("HygonGenuine", "  AuthenticAMD   HygonGenuine  "));
        ck_assert(!plugin_vendor_in_list("GenuineIntel", "AuthenticAMD HygonGenuine"));
        ck_assert(!plugin_vendor_in_list("Authentic", "AuthenticAMD"));
        ck_assert(!plugin_vendor_in_list("AMD", "AuthenticAMD"));
        ck_assert(!plugin_vendor_in_list("", "AuthenticAMD"));
        ck_assert(!plugin_vendor_in_list("AuthenticAMD", ""));
        ck_assert(!plugin_vendor_in_list(NULL, "AuthenticAMD"));
        ck_assert(!plugin_vendor_in_list("AuthenticAMD", NULL));
        /* only the first 12 characters are a vendor */
        ck_assert(plugin_vendor_in_list("AuthenticAMDtrailing", "AuthenticAMD"));
}
END_TEST

static int flag_in(const char *text, const char *flag)
{
        FILE *f = fmemopen((void *)text, strlen(text), "r");
        ck_assert_ptr_nonnull(f);
        int r = plugin_cpuinfo_has_flag(f, flag);
        fclose(f);
        return r;
}

START_TEST(test_cpuinfo_flags)
{
        const char *amd = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme svm sse2\nbugs\t\t: sysret_ss_attrs\n"
                          "processor\t: 1\nflags\t\t: fpu\n";
        ck_assert_int_eq(flag_in(amd, "svm"), 1);
        ck_assert_int_eq(flag_in(amd, "fpu"), 1);
        ck_assert_int_eq(flag_in(amd, "sse2"), 1); /* last word, before the newline */
        ck_assert_int_eq(flag_in(amd, "vmx"), 0);
        ck_assert_int_eq(flag_in(amd, "sysret_ss_attrs"), 0); /* a bug, not a flag */
        ck_assert_int_eq(flag_in("flags : svm_lock svmx xsvm\n", "svm"), 0);
        ck_assert_int_eq(flag_in("flags : vmx", "vmx"), 1); /* no trailing newline */
        ck_assert_int_eq(flag_in("vmx flags : vmx\n", "vmx"), -ENOENT); /* the "vmx flags" key */
        ck_assert_int_eq(flag_in("flagsx : vmx\nflags\n", "vmx"), -ENOENT);
        ck_assert_int_eq(flag_in("", "vmx"), -ENOENT);
        ck_assert_int_eq(flag_in(":::\n\n\t:\n", "vmx"), -ENOENT);
        ck_assert_int_eq(flag_in("flags :\n", "vmx"), 0);
        ck_assert_int_eq(flag_in("flags : vmx\n", ""), -EINVAL);
        ck_assert_int_eq(plugin_cpuinfo_has_flag(NULL, "vmx"), -EINVAL);
        /* a huge flags line */
        size_t n = 1 << 20;
        char *big = malloc(n + 32);
        ck_assert_ptr_nonnull(big);
        strcpy(big, "flags : ");
        memset(big + 8, 'a', n);
        strcpy(big + 8 + n, " svm\n");
        ck_assert_int_eq(flag_in(big, "svm"), 1);
        free(big);
}
END_TEST

static void mkdirs(const char *root, const char *rel)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        mkdir(path, 0755);
                        *p = '/';
                }
        mkdir(path, 0755);
}

static void put(const char *root, const char *rel, const char *text)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        FILE *f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

START_TEST(test_kvm_module_detect)
{
        char root[] = "/tmp/hvd-sysfs-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(root));
        char buf[32] = "untouched";
        ck_assert_int_eq(plugin_kvm_module_detect(root, buf, sizeof(buf)), -ENOENT);
        ck_assert_str_eq(buf, "untouched");
        mkdirs(root, "kvm");
        mkdirs(root, "kvmgt");
        ck_assert_int_eq(plugin_kvm_module_detect(root, buf, sizeof(buf)), -ENOENT);
        mkdirs(root, "kvm_zeta");
        mkdirs(root, "kvm_beta");
        ck_assert_int_eq(plugin_kvm_module_detect(root, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "kvm_beta"); /* unknown modules: name order */
        mkdirs(root, "kvm_pvm");
        ck_assert_int_eq(plugin_kvm_module_detect(root, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "kvm_pvm");
        mkdirs(root, "kvm_amd");
        ck_assert_int_eq(plugin_kvm_module_detect(root, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "kvm_amd"); /* a known module wins */
        char tiny[4];
        ck_assert_int_eq(plugin_kvm_module_detect(root, tiny, sizeof(tiny)), 0);
        ck_assert_str_eq(tiny, "kvm");
        ck_assert_int_eq(plugin_kvm_module_detect("/nonexistent/sys/module", buf, sizeof(buf)), -ENOENT);
        ck_assert_int_eq(plugin_kvm_module_detect(root, buf, 0), -EINVAL);
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_module_params)
{
        char root[] = "/tmp/hvd-sysfs-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(root));
        mkdirs(root, "kvm_amd/parameters");
        put(root, "kvm_amd/parameters/nested", "1\n");
        put(root, "kvm_amd/parameters/npt", "Y\n");
        put(root, "kvm_amd/parameters/empty", "");
        put(root, "kvm_amd/parameters/long", "0123456789abcdef0123456789abcdef\n");
        char v[16];
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "nested", v, sizeof(v)), 0);
        ck_assert_str_eq(v, "1");
        ck_assert(plugin_param_is_on(v));
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "npt", v, sizeof(v)), 0);
        ck_assert_str_eq(v, "Y");
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "empty", v, sizeof(v)), 0);
        ck_assert_str_eq(v, "");
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "long", v, sizeof(v)), 0);
        ck_assert_uint_eq(strlen(v), sizeof(v) - 1); /* truncated, terminated */
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "avic", v, sizeof(v)), -ENOENT);
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "../../etc", v, sizeof(v)), -EINVAL);
        ck_assert_int_eq(plugin_module_param(root, "../x", "nested", v, sizeof(v)), -EINVAL);
        ck_assert_int_eq(plugin_module_param(root, "kvm_amd", "nested", v, 0), -EINVAL);

        ck_assert(plugin_param_is_on("Y"));
        ck_assert(plugin_param_is_on("y"));
        ck_assert(plugin_param_is_on("2"));
        ck_assert(!plugin_param_is_on("N"));
        ck_assert(!plugin_param_is_on("0"));
        ck_assert(!plugin_param_is_on(""));
        ck_assert(!plugin_param_is_on(NULL));
        ck_assert(!plugin_param_is_on("1x"));
        ck_assert(!plugin_param_is_on("99999999999999999999999"));

        /* plugin_probe puts them together */
        struct plugin_desc d = { .name = "x86-svm", .cpu_flag = "svm", .native_module = "kvm_amd" };
        struct plugin_host_info info;
        FILE *f = fmemopen((void *)"flags : svm\n", 12, "r");
        plugin_probe(&d, root, f, &info);
        fclose(f);
        ck_assert_str_eq(info.kvm_module, "kvm_amd");
        ck_assert(info.cpu_flag);
        ck_assert(info.nested);
        put(root, "kvm_amd/parameters/nested", "0\n");
        plugin_probe(&d, "/nonexistent", NULL, &info);
        ck_assert_str_eq(info.kvm_module, "unknown");
        ck_assert(!info.cpu_flag);
        ck_assert(!info.nested);
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- CPUID ---- */

struct cpuid_table {
        struct kvm_cpuid2 head;
        struct kvm_cpuid_entry2 e[16];
};

static void table_add(struct cpuid_table *t, uint32_t fn, uint32_t idx, uint32_t flags, uint32_t eax, uint32_t ebx,
                      uint32_t ecx, uint32_t edx)
{
        ck_assert_uint_lt(t->head.nent, 16);
        t->e[t->head.nent++] = (struct kvm_cpuid_entry2){
                .function = fn, .index = idx, .flags = flags, .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx
        };
}

static void fake_table(struct cpuid_table *t)
{
        memset(t, 0, sizeof(*t));
        table_add(t, 0, 0, 0, 0x10, 0, 0, 0);
        /* leaf 1: host APIC ID 0x2a, clflush 8, VMX (ECX bit 5) and HTT set */
        table_add(t, 1, 0, 0, 0x00a20f12, 0x2a100800, 0x80000020 | (1u << 5), 1u << 28);
        table_add(t, 4, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0xfc004121, 0, 0, 0); /* L1d */
        table_add(t, 4, 3, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0xfc03c163, 0, 0, 0); /* L3 */
        table_add(t, 4, 4, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 0, 0, 0);          /* end */
        table_add(t, 0xb, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 1, 2, 0x100, 0x2a);
        table_add(t, 0xb, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 7, 128, 0x201, 0x2a);
        table_add(t, 0xb, 2, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 0, 2, 0x2a);
        table_add(t, 0x80000001, 0, 0, 0, 0, 0x75c237ff | (1u << 2), 0);
        table_add(t, 0x80000008, 0, 0, 0x3030, 0, 0x707f, 0);
        table_add(t, 0x8000000a, 0, 0, 1, 0x8000, 0, 0x1ebfbcff);
        table_add(t, 0x8000001e, 0, 0, 0x2a, 0x107, 0x3, 0);
}

START_TEST(test_cpuid_topology)
{
        struct cpuid_table t;
        fake_table(&t);
        ck_assert_int_eq(plugin_cpuid_topology(&t.head, 5, 6), 0);
        struct kvm_cpuid_entry2 *e = plugin_cpuid_find(&t.head, 1, 0);
        ck_assert_uint_eq(e->ebx >> 24, 5);                /* APIC ID = index */
        ck_assert_uint_eq((e->ebx >> 16) & 0xff, 8);       /* 6 vCPUs: 3 bits */
        ck_assert_uint_eq(e->ebx & 0xffff, 0x0800);        /* the rest kept */
        ck_assert(e->edx & (1u << 28));
        e = plugin_cpuid_find(&t.head, 0xb, 0);
        ck_assert_uint_eq(e->ebx, 1);
        ck_assert_uint_eq(e->edx, 5);
        e = plugin_cpuid_find(&t.head, 0xb, 1);
        ck_assert_uint_eq(e->eax, 3);
        ck_assert_uint_eq(e->ebx, 6);
        ck_assert_uint_eq(e->ecx, 0x201);
        ck_assert_uint_eq(e->edx, 5);
        e = plugin_cpuid_find(&t.head, 0xb, 2);
        ck_assert_uint_eq(e->ebx, 0);
        ck_assert_uint_eq(e->edx, 5);

        fake_table(&t);
        ck_assert_int_eq(plugin_cpuid_topology(&t.head, 0, 1), 0);
        e = plugin_cpuid_find(&t.head, 1, 0);
        ck_assert(!(e->edx & (1u << 28)));
        ck_assert_uint_eq((e->ebx >> 16) & 0xff, 1);

        ck_assert_int_eq(plugin_cpuid_topology(&t.head, 6, 6), -EINVAL);
        ck_assert_int_eq(plugin_cpuid_topology(&t.head, 0, 0), -EINVAL);
        ck_assert_int_eq(plugin_cpuid_topology(NULL, 0, 1), -EINVAL);
        ck_assert_uint_eq(plugin_core_bits(1), 0);
        ck_assert_uint_eq(plugin_core_bits(2), 1);
        ck_assert_uint_eq(plugin_core_bits(1024), 10);
        ck_assert_uint_eq(plugin_core_bits(1025), 11);
        ck_assert_uint_eq(plugin_core_bits(UINT32_MAX), 32);
        /* an empty table is fine */
        struct kvm_cpuid2 empty = { .nent = 0 };
        ck_assert_int_eq(plugin_cpuid_topology(&empty, 0, 300), 0);
}
END_TEST

/* ---- the real plugins, driven as the core would ---- */

struct fake_core {
        struct hv_vendor_host host;
        const struct hv_vendor_ops *ops;
        int calls;
        int32_t answer; /* what register_vendor returns */
};
static struct fake_core core;

static int32_t fake_register(const struct hv_vendor_host *host, const struct hv_vendor_ops *ops)
{
        ck_assert_ptr_eq(host, &core.host);
        core.calls++;
        if (core.answer == 0)
                core.ops = ops;
        return core.answer;
}

static hv_vendor_plugin_entry_fn plugin_open(const char *name)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.so", hv_test_plugin_dir(), name);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        ck_assert_msg(h, "dlopen %s: %s", path, dlerror());
        hv_vendor_plugin_entry_fn entry;
        *(void **)&entry = dlsym(h, HV_VENDOR_PLUGIN_ENTRY);
        ck_assert_ptr_nonnull(entry);
        /* the only symbol it exports */
        ck_assert_ptr_null(dlsym(h, "plugin_entry"));
        ck_assert_ptr_null(dlsym(h, "plugin_cpuid_topology"));
        return entry; /* kept loaded: the test process is short-lived */
}

static void core_init(const char *vendor, int kvm_fd, int kvm_errno)
{
        memset(&core, 0, sizeof(core));
        core.host = (struct hv_vendor_host){
                .abi_major = HV_VENDOR_ABI_MAJOR,
                .abi_minor = HV_VENDOR_ABI_MINOR,
                .size = sizeof(struct hv_vendor_host),
                .kvm_fd = kvm_fd,
                .kvm_open_errno = kvm_errno,
                .register_vendor = fake_register,
        };
        snprintf(core.host.cpu_vendor, sizeof(core.host.cpu_vendor), "%s", vendor);
}

/* Whether the KVM module detected here has nested on (the plugins' rule). */
static bool expect_nested(void)
{
        const char *m = expect_kvm_module();
        char path[128], v[16] = "";
        if (!m)
                return false;
        snprintf(path, sizeof(path), "/sys/module/%s/parameters/nested", m);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        if (!fgets(v, sizeof(v), f))
                v[0] = 0;
        fclose(f);
        return v[0] == 'Y' || v[0] == 'y' || (v[0] >= '1' && v[0] <= '9');
}

START_TEST(test_plugins_decline)
{
        char reason[256];
        hv_vendor_plugin_entry_fn svm = plugin_open("x86-svm"), vmx = plugin_open("x86-vmx");

        core_init("GenuineIntel", 99, 0);
        ck_assert_int_eq(svm(&core.host, reason, sizeof(reason)), -ENODEV);
        ck_assert_str_eq(reason, "CPU vendor is GenuineIntel, x86-svm drives AuthenticAMD HygonGenuine hosts");
        core_init("AuthenticAMD", 99, 0);
        ck_assert_int_eq(vmx(&core.host, reason, sizeof(reason)), -ENODEV);
        ck_assert_str_eq(reason, "CPU vendor is AuthenticAMD, x86-vmx drives GenuineIntel hosts");
        core_init("", 99, 0);
        ck_assert_int_eq(vmx(&core.host, reason, sizeof(reason)), -ENODEV);
        ck_assert_msg(strstr(reason, "unknown"), "%s", reason);

        /* the right vendor without /dev/kvm */
        core_init("HygonGenuine", -1, EACCES);
        ck_assert_int_eq(svm(&core.host, reason, sizeof(reason)), -ENODEV);
        ck_assert_str_eq(reason, "HygonGenuine host, but /dev/kvm is not usable: Permission denied");
        core_init("GenuineIntel", -1, ENOENT);
        ck_assert_int_eq(vmx(&core.host, reason, sizeof(reason)), -ENODEV);
        ck_assert_msg(strstr(reason, "No such file"), "%s", reason);

        /* another ABI major: nothing else of the host is read */
        core_init("AuthenticAMD", 99, 0);
        core.host.abi_major = HV_VENDOR_ABI_MAJOR + 1;
        core.host.register_vendor = NULL;
        ck_assert_int_eq(svm(&core.host, reason, sizeof(reason)), -EPROTO);
        ck_assert_msg(strstr(reason, "vendor ABI"), "%s", reason);
        core_init("AuthenticAMD", 99, 0);
        core.host.size = 8;
        ck_assert_int_eq(svm(&core.host, reason, sizeof(reason)), -EPROTO);
        ck_assert_int_eq(svm(NULL, reason, sizeof(reason)), -EPROTO);
        /* a tiny or missing reason buffer is not overrun */
        ck_assert_int_eq(svm(NULL, reason, 1), -EPROTO);
        ck_assert_str_eq(reason, "");
        ck_assert_int_eq(svm(NULL, NULL, 0), -EPROTO);
        ck_assert_int_eq(core.calls, 0);
}
END_TEST

START_TEST(test_plugin_refused_by_core)
{
        char reason[256];
        hv_vendor_plugin_entry_fn svm = plugin_open("x86-svm");
        core_init("AuthenticAMD", 99, 0);
        core.answer = -EEXIST;
        ck_assert_int_eq(svm(&core.host, reason, sizeof(reason)), -EEXIST);
        ck_assert_int_eq(core.calls, 1);
        ck_assert_msg(strstr(reason, "registration was refused: File exists"), "%s", reason);
}
END_TEST

struct report {
        char text[8192];
};
static void report_collect(void *userdata, const char *key, const char *value)
{
        struct report *r = userdata;
        size_t n = strlen(r->text);
        snprintf(r->text + n, sizeof(r->text) - n, "%s=%s\n", key, value);
}

START_TEST(test_svm_plugin)
{
        char reason[256];
        hv_vendor_plugin_entry_fn svm = plugin_open("x86-svm");
        core_init("AuthenticAMD", 99, 0);
        ck_assert_int_eq(svm(&core.host, reason, sizeof(reason)), 0);
        ck_assert_int_eq(core.calls, 1);
        const struct hv_vendor_ops *ops = core.ops;
        ck_assert_uint_eq(ops->abi_major, HV_VENDOR_ABI_MAJOR);
        ck_assert_uint_eq(ops->size, sizeof(struct hv_vendor_ops));
        ck_assert_str_eq(ops->name, "x86-svm");
        const char *module = expect_kvm_module();
        if (module) {
                ck_assert_str_eq(ops->kvm_module(), module);
                ck_assert_msg(strstr(reason, module), "%s", reason);
        }
        struct report rep = { "" };
        ops->report(report_collect, &rep);
        char want[64];
        snprintf(want, sizeof(want), "kvm_module=%s\n", ops->kvm_module());
        ck_assert_msg(strstr(rep.text, want), "%s", rep.text);
        snprintf(want, sizeof(want), "svm=%s\n", expect_cpu_flag("svm") ? "yes" : "no");
        ck_assert_msg(strstr(rep.text, want), "%s", rep.text);
        ck_assert_msg(strstr(rep.text, "execution="), "%s", rep.text);
        ops->report(NULL, NULL); /* tolerated */

        struct cpuid_table t;
        fake_table(&t);
        bool nested = expect_nested();
        ck_assert_int_eq(ops->cpuid_fixup(&t.head, 2, 4), 0);
        ck_assert_uint_eq(plugin_cpuid_find(&t.head, 1, 0)->ebx >> 24, 2);
        ck_assert_uint_eq(!!(plugin_cpuid_find(&t.head, 0x80000001, 0)->ecx & (1u << 2)), nested);
        ck_assert_uint_eq(plugin_cpuid_find(&t.head, 0x8000000a, 0)->edx != 0, nested);
        ck_assert_uint_eq(plugin_cpuid_find(&t.head, 0x80000008, 0)->ecx & 0xff, 3);
        ck_assert_uint_eq((plugin_cpuid_find(&t.head, 0x80000008, 0)->ecx >> 12) & 0xf, 2);
        ck_assert_uint_eq(plugin_cpuid_find(&t.head, 0x8000001e, 0)->eax, 2);
        /* VMX is Intel's: left alone */
        ck_assert(plugin_cpuid_find(&t.head, 1, 0)->ecx & (1u << 5));
        ck_assert_int_eq(ops->cpuid_fixup(&t.head, 4, 4), -EINVAL);
        ck_assert_int_eq(ops->cpuid_fixup(NULL, 0, 1), -EINVAL);

        char buf[128];
        ops->decode_fail_entry(UINT64_MAX, buf, sizeof(buf));
        ck_assert_msg(strstr(buf, "VMEXIT_INVALID") && strstr(buf, "invalid guest state"), "%s", buf);
        ops->decode_fail_entry(0x400, buf, sizeof(buf));
        ck_assert_str_eq(buf, "SVM exit code 0x400 on entry");
        ops->decode_fail_entry(UINT64_MAX, buf, 8);
        ck_assert_uint_eq(strlen(buf), 7);
        ops->decode_fail_entry(UINT64_MAX, NULL, 0);

        uint32_t msrs[8];
        uint32_t n = ops->msrs_to_save(msrs, 8);
        ck_assert_uint_eq(n, nested ? 5 : 2);
        ck_assert_uint_eq(msrs[0], 0xc0010015);
        ck_assert_uint_eq(ops->msrs_to_save(msrs, 1), n); /* full count, one written */
        ck_assert_uint_eq(ops->msrs_to_save(NULL, 0), n);

        ck_assert_int_eq(ops->migration_compatible("x86-svm"), 0);
        ck_assert_int_eq(ops->migration_compatible("x86-vmx"), -EXDEV);
        ck_assert_int_eq(ops->migration_compatible(NULL), -EINVAL);
}
END_TEST

START_TEST(test_vmx_plugin)
{
        char reason[256];
        hv_vendor_plugin_entry_fn vmx = plugin_open("x86-vmx");
        core_init("GenuineIntel", 99, 0);
        ck_assert_int_eq(vmx(&core.host, reason, sizeof(reason)), 0);
        ck_assert_msg(strstr(reason, "GenuineIntel host, /dev/kvm backed by"), "%s", reason);
        const struct hv_vendor_ops *ops = core.ops;
        ck_assert_str_eq(ops->name, "x86-vmx");
        ck_assert_str_eq(ops->cpu_vendors, "GenuineIntel");

        struct cpuid_table t;
        fake_table(&t);
        bool nested = expect_nested();
        ck_assert_int_eq(ops->cpuid_fixup(&t.head, 3, 6), 0);
        struct kvm_cpuid_entry2 *e = plugin_cpuid_find(&t.head, 1, 0);
        ck_assert_uint_eq(e->ebx >> 24, 3);
        ck_assert_uint_eq(!!(e->ecx & (1u << 5)), nested);
        /* leaf 4: 8 addressable cores; L1 private, L3 shared by all; low bits kept */
        e = plugin_cpuid_find(&t.head, 4, 0);
        ck_assert_uint_eq(e->eax >> 26, 7);
        ck_assert_uint_eq((e->eax >> 14) & 0xfff, 0);
        ck_assert_uint_eq(e->eax & 0x3fff, 0x0121);
        e = plugin_cpuid_find(&t.head, 4, 3);
        ck_assert_uint_eq(e->eax >> 26, 7);
        ck_assert_uint_eq((e->eax >> 14) & 0xfff, 7);
        ck_assert_uint_eq(plugin_cpuid_find(&t.head, 4, 4)->eax, 0); /* the terminator stays */
        /* SVM is AMD's: left alone */
        ck_assert(plugin_cpuid_find(&t.head, 0x80000001, 0)->ecx & (1u << 2));

        char buf[128];
        ops->decode_fail_entry(0x80000021, buf, sizeof(buf));
        ck_assert_str_eq(buf, "VM-entry failure due to invalid guest state (exit reason 33)");
        ops->decode_fail_entry(0x80000022, buf, sizeof(buf));
        ck_assert_str_eq(buf, "VM-entry failure due to MSR loading (exit reason 34)");
        ops->decode_fail_entry(0x80000029, buf, sizeof(buf));
        ck_assert_msg(strstr(buf, "machine-check"), "%s", buf);
        ops->decode_fail_entry(0x80000030, buf, sizeof(buf));
        ck_assert_str_eq(buf, "VM-entry failure, exit reason 48 (0x80000030)");
        ops->decode_fail_entry(7, buf, sizeof(buf));
        ck_assert_str_eq(buf, "VM-instruction error 7: VM entry with invalid control field(s)");
        ops->decode_fail_entry(8, buf, sizeof(buf));
        ck_assert_msg(strstr(buf, "host-state"), "%s", buf);
        ops->decode_fail_entry(0xdead, buf, sizeof(buf));
        ck_assert_str_eq(buf, "VMX entry failure 0xdead");

        uint32_t msrs[32];
        ck_assert_uint_eq(ops->msrs_to_save(msrs, 32), nested ? 3 + 18 : 3);
        ck_assert_int_eq(ops->migration_compatible("x86-vmx"), 0);
        ck_assert_int_eq(ops->migration_compatible("x86-svm"), -EXDEV);
}
END_TEST

/* The claiming plugin's fix-up on this host's real KVM_GET_SUPPORTED_CPUID. */
START_TEST(test_fixup_supported_cpuid)
{
        const char *name = expect_claiming_plugin();
        if (!name)
                return;
        char vendor[13], reason[256];
        expect_cpu_vendor(vendor);
        hv_vendor_plugin_entry_fn entry = plugin_open(name);
        int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        ck_assert_int_ge(kvm, 0);
        core_init(vendor, kvm, 0);
        ck_assert_int_eq(entry(&core.host, reason, sizeof(reason)), 0);

        uint32_t max = 256;
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(struct kvm_cpuid_entry2));
        ck_assert_ptr_nonnull(c);
        c->nent = max;
        ck_assert_int_eq(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c), 0);
        close(kvm);
        ck_assert_int_eq(core.ops->cpuid_fixup(c, 3, 4), 0);
        struct kvm_cpuid_entry2 *e = plugin_cpuid_find(c, 1, 0);
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->ebx >> 24, 3);
        bool nested = expect_nested();
        /* without nested, the guest must not see SVM/VMX whatever KVM offered */
        if (!nested && strcmp(name, "x86-svm") == 0) {
                e = plugin_cpuid_find(c, 0x80000001, 0);
                ck_assert(!e || !(e->ecx & (1u << 2)));
        } else if (!nested)
                ck_assert(!(plugin_cpuid_find(c, 1, 0)->ecx & (1u << 5)));
        free(c);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("vendor-plugins");
        TCase *tc = tcase_create("parsers");
        tcase_add_test(tc, test_vendor_in_list);
        tcase_add_test(tc, test_cpuinfo_flags);
        tcase_add_test(tc, test_kvm_module_detect);
        tcase_add_test(tc, test_module_params);
        tcase_add_test(tc, test_cpuid_topology);
        suite_add_tcase(s, tc);
        tc = tcase_create("plugins");
        tcase_add_test(tc, test_plugins_decline);
        tcase_add_test(tc, test_plugin_refused_by_core);
        tcase_add_test(tc, test_svm_plugin);
        tcase_add_test(tc, test_vmx_plugin);
        suite_add_tcase(s, tc);
        tc = hv_test_tcase_kvm("plugins-kvm");
        tcase_add_test(tc, test_fixup_supported_cpuid);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
