/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vendor plugin registry: the real plugins on this host, one vendor only (-EEXIST), ABI
 * mismatch, missing and corrupt files, defaults for a short table, concurrent loaders. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv-test.h"
#include "hvcore/vendor.h"
#include "macros.h"
#include "test-vendor-host.h"
#include "vendor/vendor-registry.h"

static const char *plugin_path(const char *name)
{
        static char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.so", hv_test_plugin_dir(), name);
        return path;
}

/* Fixture plugins are libtool check modules: tests/plugins/.libs/NAME.so */
static const char *fixture_path(const char *name)
{
        static char path[PATH_MAX];
        const char *top = getenv("HVD_TOP_BUILDDIR");
        snprintf(path, sizeof(path), "%s/tests/plugins/.libs/%s.so", top && *top ? top : ".", name);
        return path;
}

static const struct hv_vendor_verdict *find_verdict(const struct hv_vendor_verdict *v, size_t n,
                                                    const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i].name, name) == 0)
                        return &v[i];
        return NULL;
}

START_TEST(test_load_dir_this_host)
{
        const char *claimer = expect_claiming_plugin();
        _cleanup_free_ struct hv_vendor_verdict *v = NULL;
        size_t n = 0;
        ck_assert_int_eq(hv_vendor_load_dir(hv_test_plugin_dir(), &v, &n), 0);
        ck_assert_uint_eq(n, 2);
        /* name order */
        ck_assert_str_eq(v[0].name, "x86-svm");
        ck_assert_str_eq(v[1].name, "x86-vmx");

        const struct hv_vendor_verdict *svm = find_verdict(v, n, "x86-svm");
        const struct hv_vendor_verdict *vmx = find_verdict(v, n, "x86-vmx");
        ck_assert_ptr_nonnull(svm);
        ck_assert_ptr_nonnull(vmx);
        char cpu[13];
        expect_cpu_vendor(cpu);
        const struct hv_vendor_verdict *yes = NULL, *no = NULL;
        if (claimer && strcmp(claimer, "x86-svm") == 0)
                yes = svm, no = vmx;
        else if (claimer)
                yes = vmx, no = svm;
        ck_assert_ptr_nonnull(yes);

        ck_assert_int_eq(yes->result, HV_VENDOR_CLAIMED);
        ck_assert_int_eq(yes->error, 0);
        ck_assert_msg(strstr(yes->reason, cpu), "claim reason names the CPU vendor: %s", yes->reason);
        ck_assert_int_eq(no->result, HV_VENDOR_DECLINED);
        ck_assert_int_eq(no->error, -ENODEV);
        ck_assert_msg(strstr(no->reason, cpu), "decline reason names the CPU vendor: %s", no->reason);
        ck_assert_ptr_null(strchr(no->reason, '\n'));

        const struct hv_vendor_ops *ops = hv_vendor_get();
        ck_assert_ptr_nonnull(ops);
        ck_assert_str_eq(ops->name, yes->name);
        const char *module = expect_kvm_module();
        if (module) {
                ck_assert_str_eq(ops->kvm_module(), module);
                ck_assert_msg(strstr(yes->reason, module), "claim reason names %s: %s", module, yes->reason);
        }
        /* This machine's case: kvm_pvm without the svm flag must be claimed and said so. */
        if (module && strcmp(module, "kvm_pvm") == 0 && strcmp(yes->name, "x86-svm") == 0 && !expect_cpu_flag("svm"))
                ck_assert_msg(strstr(yes->reason, "no svm flag") && strstr(yes->reason, "emulator"),
                              "kvm_pvm claim says how guest code runs: %s", yes->reason);
}
END_TEST

START_TEST(test_second_registration_eexist)
{
        const char *claimer = expect_claiming_plugin();
        if (!claimer)
                claimer = "x86-svm";
        struct hv_vendor_verdict v;
        /* The fixture claims any host; then the real plugin, and the fixture again. */
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), &v), 0);
        ck_assert_int_eq(v.result, HV_VENDOR_CLAIMED);
        ck_assert_str_eq(v.name, "test-claim-all");
        ck_assert_str_eq(v.reason, "claims every host");

        int r = hv_vendor_load_file(plugin_path(claimer), &v);
        ck_assert_int_eq(r, -EEXIST);
        ck_assert_int_eq(v.result, HV_VENDOR_REFUSED);
        ck_assert_int_eq(v.error, -EEXIST);
        ck_assert_str_eq(v.name, claimer);
        ck_assert_msg(strstr(v.reason, "test-claim-all") && strstr(v.reason, "already registered"),
                      "-EEXIST names the vendor already loaded: %s", v.reason);
        ck_assert_msg(strstr(v.reason, fixture_path("claim-all")), "and where it came from: %s", v.reason);

        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), &v), -EEXIST);
        ck_assert_int_eq(v.result, HV_VENDOR_REFUSED);
        ck_assert_str_eq(hv_vendor_get()->name, "test-claim-all");
}
END_TEST

START_TEST(test_real_plugin_twice)
{
        const char *claimer = expect_claiming_plugin();
        if (!claimer)
                return;
        struct hv_vendor_verdict v;
        ck_assert_int_eq(hv_vendor_load_file(plugin_path(claimer), &v), 0);
        char module[64];
        snprintf(module, sizeof(module), "%s", hv_vendor_get()->kvm_module());
        ck_assert_int_eq(hv_vendor_load_file(plugin_path(claimer), &v), -EEXIST);
        ck_assert_msg(strstr(v.reason, claimer), "%s", v.reason);
        /* the refused second load left the first one's state alone */
        ck_assert_str_eq(hv_vendor_get()->name, claimer);
        ck_assert_str_eq(hv_vendor_get()->kvm_module(), module);
}
END_TEST

START_TEST(test_abi_mismatch)
{
        struct hv_vendor_verdict v;
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("abi-major"), &v), -EPROTO);
        ck_assert_int_eq(v.result, HV_VENDOR_REFUSED);
        ck_assert_int_eq(v.error, -EPROTO);
        ck_assert_str_eq(v.name, "abi-major"); /* its table is not read past the version */
        char want[64];
        snprintf(want, sizeof(want), "plugin table is %d.0", HV_VENDOR_ABI_MAJOR + 1);
        ck_assert_msg(strstr(v.reason, "ABI mismatch") && strstr(v.reason, want), "%s", v.reason);
        ck_assert_ptr_null(hv_vendor_get());
}
END_TEST

START_TEST(test_missing_file)
{
        struct hv_vendor_verdict v;
        ck_assert_int_eq(hv_vendor_load_file("/nonexistent/hvd/x86-nope.so", &v), -ENOENT);
        ck_assert_int_eq(v.result, HV_VENDOR_BROKEN);
        ck_assert_str_eq(v.name, "x86-nope");
        ck_assert_msg(strstr(v.reason, "No such file"), "%s", v.reason);
        ck_assert_int_eq(hv_vendor_load_file(NULL, &v), -EINVAL);
        ck_assert_int_eq(hv_vendor_load_file("", NULL), -EINVAL);
        ck_assert_int_eq(hv_vendor_load_file("/", &v), -ENOEXEC);
        ck_assert_ptr_null(hv_vendor_get());
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
        close(fd);
}

START_TEST(test_corrupt_files)
{
        char dir[] = "/tmp/hvd-vendor-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char garbage[PATH_MAX], truncated[PATH_MAX], empty[PATH_MAX], other[PATH_MAX];
        snprintf(garbage, sizeof(garbage), "%s/garbage.so", dir);
        snprintf(truncated, sizeof(truncated), "%s/truncated.so", dir);
        snprintf(empty, sizeof(empty), "%s/empty.so", dir);
        snprintf(other, sizeof(other), "%s/README", dir);
        write_file(garbage, "this is not an ELF file\n", 24);
        write_file(empty, "", 0);
        write_file(other, "ignored", 7);
        /* a real plugin cut short: a valid ELF header, nothing behind it */
        char buf[256];
        int fd = open(plugin_path("x86-svm"), O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
        close(fd);
        write_file(truncated, buf, sizeof(buf));

        struct hv_vendor_verdict v;
        const char *const bad[] = { garbage, truncated, empty };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                ck_assert_int_eq(hv_vendor_load_file(bad[i], &v), -ENOEXEC);
                ck_assert_int_eq(v.result, HV_VENDOR_BROKEN);
                ck_assert_msg(strstr(v.reason, "cannot load plugin: "), "%s", v.reason);
        }
        _cleanup_free_ struct hv_vendor_verdict *all = NULL;
        size_t n = 0;
        ck_assert_int_eq(hv_vendor_load_dir(dir, &all, &n), 0);
        ck_assert_uint_eq(n, 3); /* README is not a plugin */
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(all[i].result, HV_VENDOR_BROKEN);
        ck_assert_ptr_null(hv_vendor_get());

        unlink(garbage);
        unlink(truncated);
        unlink(empty);
        unlink(other);
        rmdir(dir);
}
END_TEST

START_TEST(test_not_a_plugin)
{
        struct hv_vendor_verdict v;
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("no-entry"), &v), -ENOEXEC);
        ck_assert_int_eq(v.result, HV_VENDOR_BROKEN);
        ck_assert_msg(strstr(v.reason, HV_VENDOR_PLUGIN_ENTRY), "%s", v.reason);
        /* a table without a name is refused even though the entry then returns 0 */
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("no-name"), &v), -EINVAL);
        ck_assert_int_eq(v.result, HV_VENDOR_REFUSED);
        ck_assert_msg(strstr(v.reason, "no name"), "%s", v.reason);
        /* only the host table the core handed over is accepted */
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("forged-host"), &v), -EINVAL);
        ck_assert_int_eq(v.result, HV_VENDOR_REFUSED);
        ck_assert_msg(strstr(v.reason, "other than the one it was given"), "%s", v.reason);
        ck_assert_ptr_null(hv_vendor_get());
}
END_TEST

START_TEST(test_load_dir_errors)
{
        struct hv_vendor_verdict *v = (void *)1;
        size_t n = 7;
        ck_assert_int_eq(hv_vendor_load_dir("/nonexistent/hvd", &v, &n), -ENOENT);
        ck_assert_ptr_eq(v, (void *)1); /* untouched on failure */
        ck_assert_uint_eq(n, 7);
        ck_assert_int_eq(hv_vendor_load_dir(NULL, &v, &n), -EINVAL);
        char dir[] = "/tmp/hvd-vendor-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        ck_assert_int_eq(hv_vendor_load_dir(dir, &v, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(v);
        rmdir(dir);
}
END_TEST

static int report_calls;
static void count_report(void *userdata, const char *key, const char *value) { report_calls++; }

START_TEST(test_defaults_fill_short_table)
{
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), NULL), 0);
        const struct hv_vendor_ops *ops = hv_vendor_get();
        ck_assert_ptr_nonnull(ops);
        ck_assert_str_eq(ops->name, "test-claim-all");
        ck_assert_str_eq(ops->cpu_vendors, "");
        ck_assert_str_eq(ops->kvm_module(), "kvm_fixture");
        /* every op of the list is set, whatever the plugin left out */
#define OP_SET_(ret, op, args) ck_assert_msg(ops->op != NULL, #op " is filled in");
        HV_VENDOR_OPS_LIST(OP_SET_, OP_SET_, OP_SET_)
#undef OP_SET_
        /* report is NULL in the table (optional): the default emits nothing */
        ops->report(count_report, NULL);
        ck_assert_int_eq(report_calls, 0);
        ck_assert_int_eq(ops->cpuid_fixup(NULL, 0, 1), -EINVAL); /* the plugin's own */
        /* the ops past the plugin's size are traps that abort: the defaults run */
        uint32_t msrs[4];
        ck_assert_uint_eq(ops->msrs_to_save(msrs, 4), 0); /* return-zero */
        char buf[64];
        ops->decode_fail_entry(0x80000021, buf, sizeof(buf));
        ck_assert_str_eq(buf, "hardware entry failure reason 0x80000021");
        ck_assert_int_eq(ops->migration_compatible("test-claim-all"), 0);
        ck_assert_int_eq(ops->migration_compatible("x86-svm"), -EXDEV);
        ck_assert_int_eq(ops->migration_compatible(NULL), -EINVAL);
}
END_TEST

START_TEST(test_mandatory_op_missing)
{
        struct hv_vendor_verdict v;
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("no-mandatory"), &v), -EINVAL);
        ck_assert_int_eq(v.result, HV_VENDOR_REFUSED);
        ck_assert_int_eq(v.error, -EINVAL);
        ck_assert_str_eq(v.name, "test-no-mandatory");
        ck_assert_msg(strstr(v.reason, "test-no-mandatory") && strstr(v.reason, "lacks the mandatory op cpuid_fixup"),
                      "the refusal names the op: %s", v.reason);
        ck_assert_ptr_null(hv_vendor_get());
        /* and the registry still takes a complete table */
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), &v), 0);
}
END_TEST

/* The table as plugins of ABI 1.0 were built: the X-macro list must keep this layout. */
struct ops_1_0 {
        uint32_t abi_major, abi_minor, size;
        const char *name, *cpu_vendors;
        const char *(*kvm_module)(void);
        void (*report)(hv_vendor_report_fn emit, void *userdata);
        int32_t (*cpuid_fixup)(struct kvm_cpuid2 *cpuid, uint32_t index, uint32_t nr_vcpus);
        uint32_t (*msrs_to_save)(uint32_t *msrs, uint32_t max);
        void (*decode_fail_entry)(uint64_t hw_reason, char *buf, size_t len);
        int32_t (*migration_compatible)(const char *src_vendor);
};

START_TEST(test_ops_layout_1_0)
{
#define SAME_(f) ck_assert_uint_eq(offsetof(struct hv_vendor_ops, f), offsetof(struct ops_1_0, f))
        SAME_(size);
        SAME_(name);
        SAME_(cpu_vendors);
        SAME_(kvm_module);
        SAME_(report);
        SAME_(cpuid_fixup);
        SAME_(msrs_to_save);
        SAME_(decode_fail_entry);
        SAME_(migration_compatible);
#undef SAME_
        ck_assert_uint_ge(sizeof(struct hv_vendor_ops), sizeof(struct ops_1_0));
}
END_TEST

START_TEST(test_unload)
{
        ck_assert_int_eq(hv_vendor_unload(), -ENODEV);
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), NULL), 0);
        ck_assert_int_eq(hv_vendor_unload(), 0);
        ck_assert_ptr_null(hv_vendor_get());
        ck_assert_int_eq(hv_vendor_unload(), -ENODEV);
        /* and the registry takes a vendor again */
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), NULL), 0);
        ck_assert_ptr_nonnull(hv_vendor_get());
}
END_TEST

#define RACERS 8
struct racer {
        pthread_barrier_t *barrier;
        const char *path;
        int result;
        struct hv_vendor_verdict verdict;
};

static void *racer_run(void *arg)
{
        struct racer *r = arg;
        pthread_barrier_wait(r->barrier);
        r->result = hv_vendor_load_file(r->path, &r->verdict);
        return NULL;
}

START_TEST(test_concurrent_registration)
{
        const char *claimer = expect_claiming_plugin();
        char real[PATH_MAX], fixture[PATH_MAX];
        snprintf(real, sizeof(real), "%s", plugin_path(claimer ? claimer : "x86-svm"));
        snprintf(fixture, sizeof(fixture), "%s", fixture_path("claim-all"));
        for (int round = 0; round < 5; round++) {
                pthread_barrier_t barrier;
                pthread_barrier_init(&barrier, NULL, RACERS);
                struct racer racers[RACERS];
                pthread_t threads[RACERS];
                for (int i = 0; i < RACERS; i++) {
                        racers[i] = (struct racer){ .barrier = &barrier, .path = (i & 1) && claimer ? real : fixture };
                        ck_assert_int_eq(pthread_create(&threads[i], NULL, racer_run, &racers[i]), 0);
                }
                for (int i = 0; i < RACERS; i++)
                        pthread_join(threads[i], NULL);
                pthread_barrier_destroy(&barrier);

                int winners = 0;
                const char *winner = NULL;
                for (int i = 0; i < RACERS; i++) {
                        if (racers[i].result == 0) {
                                winners++;
                                winner = racers[i].verdict.name;
                                ck_assert_int_eq(racers[i].verdict.result, HV_VENDOR_CLAIMED);
                        } else {
                                ck_assert_int_eq(racers[i].result, -EEXIST);
                                ck_assert_int_eq(racers[i].verdict.result, HV_VENDOR_REFUSED);
                        }
                }
                ck_assert_int_eq(winners, 1);
                ck_assert_str_eq(hv_vendor_get()->name, winner);
                for (int i = 0; i < RACERS; i++)
                        if (racers[i].result < 0)
                                ck_assert_msg(strstr(racers[i].verdict.reason, winner), "loser names %s: %s", winner,
                                              racers[i].verdict.reason);
                ck_assert_int_eq(hv_vendor_unload(), 0);
        }
}
END_TEST

START_TEST(test_reason_sanitize)
{
        char buf[16] = "a\nb\tc\r  ";
        hv_vendor_reason_sanitize(buf, sizeof(buf));
        ck_assert_str_eq(buf, "a b c");
        char full[4] = { 'x', 'y', 'z', 'w' }; /* not terminated */
        hv_vendor_reason_sanitize(full, sizeof(full));
        ck_assert_str_eq(full, "xyz");
        hv_vendor_reason_sanitize(NULL, 4);
        ck_assert_str_eq(hv_vendor_result_to_string(HV_VENDOR_DECLINED), "declined");
        ck_assert_ptr_null(hv_vendor_result_to_string(_HV_VENDOR_RESULT_MAX));
        ck_assert_ptr_null(hv_vendor_result_to_string(_HV_VENDOR_RESULT_INVALID));
}
END_TEST

START_TEST(test_cpu_vendor_matches_cpuinfo)
{
        char want[13], got[13];
        expect_cpu_vendor(want);
        hv_cpu_get_vendor(got);
        ck_assert_str_eq(got, want);
        char model[49];
        hv_cpu_get_model_name(model);
        ck_assert_msg(model[0] != ' ', "brand string is trimmed: '%s'", model);
}
END_TEST

/* A VM uses the vendor from hv_vm_new to hv_vm_free (hv_usage_lock's count): unloading the
 * plugin under it is refused, saying which VM, and allowed once the last one is gone. */
START_TEST(test_unload_refused_while_used)
{
        struct hv_vendor_user a = {}, b = {};
        const struct hv_vendor_ops *ops = NULL, *ops_b = NULL;
        char why[HV_VENDOR_REASON_MAX];
        ck_assert_int_eq(hv_vendor_user_add(&a, "web1", &ops), -ENODEV);
        ck_assert_ptr_null(ops);
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), NULL), 0);
        ck_assert_int_eq(hv_vendor_user_add(&a, "web1", &ops), 0);
        ck_assert_int_eq(hv_vendor_user_add(&b, "db", &ops_b), 0);
        /* a user gets the registered table, with every op set */
        ck_assert_ptr_eq(ops, hv_vendor_get());
        ck_assert_ptr_eq(ops_b, ops);
        ck_assert_str_eq(ops->kvm_module(), "kvm_fixture");
        ck_assert_int_eq(hv_vendor_unload_reason(why, sizeof(why)), -EBUSY);
        ck_assert_str_eq(why, "vendor plugin test-claim-all is used by 2 VM(s) (web1, ...)");
        ck_assert_ptr_nonnull(hv_vendor_get());
        hv_vendor_user_del(&a);
        ck_assert_int_eq(hv_vendor_unload(), -EBUSY);
        ck_assert_int_eq(hv_vendor_unload_reason(why, sizeof(why)), -EBUSY);
        ck_assert_str_eq(why, "vendor plugin test-claim-all is used by 1 VM(s) (db)");
        hv_vendor_user_del(&b);
        hv_vendor_user_del(&b); /* no longer a user: nothing */
        ck_assert_int_eq(hv_vendor_unload(), 0);
        ck_assert_ptr_null(hv_vendor_get());
        ck_assert_int_eq(hv_vendor_unload_reason(why, sizeof(why)), -ENODEV);
        ck_assert_str_eq(why, "no vendor plugin is registered");
}
END_TEST

/* Users come and go while another thread unloads and reloads: a user that was counted always
 * finds the ops registered until it ends its use. */
static _Atomic bool users_stop;

static void *user_thread(void *arg)
{
        struct hv_vendor_user u = {};
        const struct hv_vendor_ops *ops;
        unsigned *counted = arg;
        while (!atomic_load(&users_stop)) {
                if (hv_vendor_user_add(&u, "racer", &ops) < 0)
                        continue;
                (*counted)++;
                for (int i = 0; i < 50; i++) {
                        ck_assert_ptr_nonnull(hv_vendor_get());
                        ck_assert_str_eq(ops->kvm_module(), "kvm_fixture");
                }
                hv_vendor_user_del(&u);
                usleep(20); /* leave the unloader a moment with no user */
        }
        return NULL;
}

START_TEST(test_unload_races_users)
{
        pthread_t t[2];
        unsigned counted[2] = {0, 0}, unloads = 0;
        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), NULL), 0);
        atomic_store(&users_stop, false);
        for (int i = 0; i < 2; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, user_thread, &counted[i]), 0);
        for (int i = 0; i < 2000 || (unloads < 10 && i < 2000000); i++) {
                int r = hv_vendor_unload();
                ck_assert_msg(r == 0 || r == -EBUSY, "unload: %d", r);
                if (r == 0) {
                        unloads++;
                        ck_assert_int_eq(hv_vendor_load_file(fixture_path("claim-all"), NULL), 0);
                }
        }
        atomic_store(&users_stop, true);
        for (int i = 0; i < 2; i++)
                ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_uint_gt(counted[0] + counted[1], 0);
        ck_assert_uint_gt(unloads, 0);
}
END_TEST

/* Each test starts with an empty registry, whether Check forks or not. */
static void registry_reset(void) { (void)hv_vendor_unload(); }

int main(void)
{
        Suite *s = suite_create("vendor-registry");
        TCase *tc = tcase_create("registry");
        tcase_add_checked_fixture(tc, registry_reset, registry_reset);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_abi_mismatch);
        tcase_add_test(tc, test_missing_file);
        tcase_add_test(tc, test_corrupt_files);
        tcase_add_test(tc, test_not_a_plugin);
        tcase_add_test(tc, test_load_dir_errors);
        tcase_add_test(tc, test_defaults_fill_short_table);
        tcase_add_test(tc, test_mandatory_op_missing);
        tcase_add_test(tc, test_ops_layout_1_0);
        tcase_add_test(tc, test_unload);
        tcase_add_test(tc, test_unload_refused_while_used);
        tcase_add_test(tc, test_unload_races_users);
        tcase_add_test(tc, test_reason_sanitize);
        tcase_add_test(tc, test_cpu_vendor_matches_cpuinfo);
        suite_add_tcase(s, tc);
        /* the real plugins claim a host only where /dev/kvm works */
        tc = hv_test_tcase_kvm("registry-this-host");
        tcase_add_checked_fixture(tc, registry_reset, registry_reset);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_load_dir_this_host);
        tcase_add_test(tc, test_second_registration_eexist);
        tcase_add_test(tc, test_real_plugin_twice);
        tcase_add_test(tc, test_concurrent_registration);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
