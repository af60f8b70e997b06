/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvd's definition parser (hostile input included), the state directory's atomic writes and
 * temp-file cleanup, and hvd.conf parsing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-error.h"
#include "conf.h"
#include "hv-test.h"
#include "macros.h"
#include "vm-def.h"
#include "vm-store.h"

/* hvcore's own limits: the host's are these or lower (test_limits_from_host) */
static const struct vm_def_limits lim = { .max_vcpus = HV_VM_VCPUS_MAX, .max_memory_mib = HV_VM_MEMORY_MIB_MAX };

static int parse(const char *text, struct vm_def **ret, char **err)
{
        return vm_def_from_json(text, strlen(text), &lim, ret, err);
}

START_TEST(test_names)
{
        static const char *const good[] = { "demo", "a", "A-b_c.d", "0", "vm1.example", NULL };
        static const char *const bad[] = { "", ".x", "-x", "_x", "../x", "a/b", "x..y", "a b", "x\n", "é", NULL };
        char long_name[VM_NAME_MAX + 2];

        for (int i = 0; good[i]; i++)
                ck_assert_msg(vm_name_is_valid(good[i]), "%s should be valid", good[i]);
        for (int i = 0; bad[i]; i++)
                ck_assert_msg(!vm_name_is_valid(bad[i]), "%s should be invalid", bad[i]);
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[VM_NAME_MAX] = 0;
        ck_assert(vm_name_is_valid(long_name));
        long_name[VM_NAME_MAX] = 'a';
        long_name[VM_NAME_MAX + 1] = 0;
        ck_assert(!vm_name_is_valid(long_name));
        ck_assert(!vm_name_is_valid(NULL));
}
END_TEST

START_TEST(test_minimal_defaults)
{
        _cleanup_(vm_def_freep) struct vm_def *d = NULL;
        char *err = NULL;

        ck_assert_int_eq(parse("{\"name\": \"demo\", \"boot\": {\"kernel\": \"/k\"}}", &d, &err), 0);
        ck_assert_str_eq(d->name, "demo");
        ck_assert_str_eq(d->kernel, "/k");
        ck_assert_int_eq(d->vcpus, 1);
        ck_assert_int_eq(d->memory_mib, 64);
        ck_assert_int_eq(d->console_log_kib, 64);
        ck_assert_int_eq(d->on_reboot, VM_ON_REBOOT_RESTART);
        ck_assert_int_eq(d->autostart, 0);
        ck_assert_ptr_null(d->uuid);
        ck_assert_ptr_null(d->initrd);
        ck_assert_ptr_null(d->cmdline);
        ck_assert_ptr_null(err);
}
END_TEST

START_TEST(test_round_trip)
{
        _cleanup_(vm_def_freep) struct vm_def *a = NULL, *b = NULL;
        _cleanup_free_ char *j1 = NULL, *j2 = NULL;
        const char *text = "{\"name\": \"x\", \"uuid\": \"0123abcd-0123-4567-89ab-0123456789ab\", \"vcpus\": 4,"
                           " \"memory_mib\": 512, \"boot\": {\"kernel\": \"/k\", \"initrd\": \"/i\", \"cmdline\": \"console=ttyS0 \\\"q\\\"\"},"
                           " \"console\": {\"log_kib\": 8}, \"on_reboot\": \"shutoff\", \"autostart\": true}";

        ck_assert_int_eq(parse(text, &a, NULL), 0);
        ck_assert_int_eq(vm_def_to_json(a, true, &j1), 0);
        ck_assert_int_eq(parse(j1, &b, NULL), 0);
        ck_assert_int_eq(vm_def_to_json(b, true, &j2), 0);
        ck_assert_str_eq(j1, j2);
        ck_assert_str_eq(b->cmdline, "console=ttyS0 \"q\"");
        ck_assert_str_eq(b->initrd, "/i");
        ck_assert_int_eq(b->vcpus, 4);
        ck_assert_int_eq(b->memory_mib, 512);
        ck_assert_int_eq(b->console_log_kib, 8);
        ck_assert_int_eq(b->on_reboot, VM_ON_REBOOT_SHUTOFF);
        ck_assert_int_eq(b->autostart, 1);
}
END_TEST

/* Each hostile definition is refused with -EINVAL and a message naming the field. */
static const struct {
        const char *json, *field;
} hostile[] = {
        { "", "not valid JSON" },
        { "{", "not valid JSON" },
        { "nul", "not valid JSON" },
        { "{\"name\": \"x\",}", "not valid JSON" },
        { "{'name': 'x'}", "not valid JSON" },
        { "[]", "must be a JSON object" },
        { "42", "must be a JSON object" },
        { "{}", "name: missing" },
        { "{\"name\": \"x\"}", "boot" },
        { "{\"name\": \"x\", \"boot\": 1}", "boot: must be an object" },
        { "{\"name\": \"x\", \"boot\": {}}", "boot.kernel: missing" },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": \"/k\"}, \"x\": 1}", "x: unknown field" },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": \"/k\", \"x\": 1}}", "boot.x: unknown field" },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": \"k\"}}", "boot.kernel: must be an absolute path" },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": 5}}", "boot.kernel: must be a string" },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": \"/k\", \"initrd\": \"i\"}}", "boot.initrd" },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": \"/k\", \"cmdline\": 1}}", "boot.cmdline" },
        { "{\"name\": \"../x\", \"boot\": {\"kernel\": \"/k\"}}", "name: " },
        { "{\"name\": \"x/y\", \"boot\": {\"kernel\": \"/k\"}}", "name: " },
        { "{\"name\": \"\", \"boot\": {\"kernel\": \"/k\"}}", "name: " },
        { "{\"name\": null, \"boot\": {\"kernel\": \"/k\"}}", "name: must be a string" },
        { "{\"name\": \"a\\u0000b\", \"boot\": {\"kernel\": \"/k\"}}", "name: must not contain NUL" },
        { "{\"name\": \"x\", \"vcpus\": 0, \"boot\": {\"kernel\": \"/k\"}}", "vcpus: must be from 1 to 64" },
        { "{\"name\": \"x\", \"vcpus\": 65, \"boot\": {\"kernel\": \"/k\"}}", "vcpus: must be from 1 to 64" },
        { "{\"name\": \"x\", \"vcpus\": -1, \"boot\": {\"kernel\": \"/k\"}}", "vcpus: " },
        { "{\"name\": \"x\", \"vcpus\": 18446744073709551617, \"boot\": {\"kernel\": \"/k\"}}", "vcpus: " },
        { "{\"name\": \"x\", \"vcpus\": 2.0, \"boot\": {\"kernel\": \"/k\"}}", "vcpus: must be an integer" },
        { "{\"name\": \"x\", \"vcpus\": true, \"boot\": {\"kernel\": \"/k\"}}", "vcpus: must be an integer" },
        { "{\"name\": \"x\", \"memory_mib\": 0, \"boot\": {\"kernel\": \"/k\"}}", "memory_mib: must be from 1" },
        { "{\"name\": \"x\", \"memory_mib\": 3073, \"boot\": {\"kernel\": \"/k\"}}", "memory_mib: must be from 1 to 3072, got 3073" },
        { "{\"name\": \"x\", \"memory_mib\": 4096, \"boot\": {\"kernel\": \"/k\"}}", "memory_mib: must be from 1 to 3072, got 4096" },
        { "{\"name\": \"x\", \"memory_mib\": \"64\", \"boot\": {\"kernel\": \"/k\"}}", "memory_mib: must be an integer" },
        { "{\"name\": \"x\", \"console\": {\"log_kib\": 0}, \"boot\": {\"kernel\": \"/k\"}}", "console.log_kib" },
        { "{\"name\": \"x\", \"console\": [], \"boot\": {\"kernel\": \"/k\"}}", "console: must be an object" },
        { "{\"name\": \"x\", \"on_reboot\": \"x\", \"boot\": {\"kernel\": \"/k\"}}", "on_reboot: must be" },
        { "{\"name\": \"x\", \"autostart\": 1, \"boot\": {\"kernel\": \"/k\"}}", "autostart: must be true or false" },
        { "{\"name\": \"x\", \"uuid\": \"0123ABCD-0123-4567-89ab-0123456789ab\", \"boot\": {\"kernel\": \"/k\"}}", "uuid: " },
        { "{\"name\": \"x\", \"boot\": {\"kernel\": \"/k\"}} x", "definition: " },
        { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "not valid JSON" },
};

START_TEST(test_hostile)
{
        struct vm_def *d = NULL;
        char *err = NULL;
        const char *json = hostile[_i].json;

        ck_assert_int_eq(parse(json, &d, &err), -EINVAL);
        ck_assert_ptr_null(d);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(strstr(err, hostile[_i].field), "%s: message \"%s\" does not name \"%s\"", json, err, hostile[_i].field);
        free(err);
}
END_TEST

START_TEST(test_embedded_nul_and_size)
{
        _cleanup_free_ char *big = NULL;
        struct vm_def *d = NULL;
        char *err = NULL;
        const char with_nul[] = "{\"name\": \"x\"\0, \"boot\": {\"kernel\": \"/k\"}}";
        size_t n = VM_DEF_JSON_MAX + 1;

        ck_assert_int_eq(vm_def_from_json(with_nul, sizeof(with_nul) - 1, &lim, &d, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "NUL"));
        free(err);
        err = NULL;
        big = malloc(n + 1);
        memset(big, ' ', n);
        big[n] = 0;
        ck_assert_int_eq(vm_def_from_json(big, n, &lim, &d, &err), -E2BIG);
        ck_assert_ptr_nonnull(strstr(err, "limit"));
        ck_assert_ptr_null(d);
        free(err);
}
END_TEST

/* DefineVM's limits are hvcore's for this host: what hv_vm_new() would refuse for its size
 * (4 GiB: above hvcore's 3 GiB) is refused when it is defined, naming the field and the limit. */
START_TEST(test_limits_from_host)
{
        struct hv_host_info host;
        ck_assert_int_eq(hv_host_info_get(&host), 0);
        struct vm_def_limits l = vm_def_limits_from_host(&host, false);
        ck_assert_uint_eq(l.max_vcpus, host.vm_max_vcpus);
        ck_assert_uint_eq(l.max_memory_mib, host.vm_max_memory_mib);
        ck_assert_uint_le(l.max_vcpus, HV_VM_VCPUS_MAX);
        ck_assert_uint_le(l.max_memory_mib, HV_VM_MEMORY_MIB_MAX);
        ck_assert(!l.check_files);
        ck_assert(vm_def_limits_from_host(&host, true).check_files);

        struct vm_def *d = NULL;
        char *err = NULL, want[96];
        const char *big = "{\"name\": \"x\", \"memory_mib\": 4096, \"boot\": {\"kernel\": \"/k\"}}";
        ck_assert_int_eq(vm_def_from_json(big, strlen(big), &l, &d, &err), -EINVAL);
        snprintf(want, sizeof(want), "memory_mib: must be from 1 to %" PRIu64 ", got 4096", l.max_memory_mib);
        ck_assert_str_eq(err, want);
        free(err);
        err = NULL;
        char at_limit[160];
        snprintf(at_limit, sizeof(at_limit), "{\"name\": \"x\", \"vcpus\": %" PRIu32 ", \"memory_mib\": %" PRIu64 ", \"boot\": {\"kernel\": \"/k\"}}",
                 l.max_vcpus, l.max_memory_mib);
        ck_assert_int_eq(vm_def_from_json(at_limit, strlen(at_limit), &l, &d, &err), 0);
        d = vm_def_free(d);
}
END_TEST

START_TEST(test_check_files)
{
        struct vm_def_limits l = lim;
        struct vm_def *d = NULL;
        char *err = NULL;

        l.check_files = true;
        ck_assert_int_eq(vm_def_from_json("{\"name\": \"x\", \"boot\": {\"kernel\": \"/nonexistent\"}}", 49, &l, &d, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "boot.kernel: /nonexistent"));
        free(err);
        err = NULL;
        ck_assert_int_eq(vm_def_from_json("{\"name\": \"x\", \"boot\": {\"kernel\": \"/\"}}", 38, &l, &d, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
        free(err);
}
END_TEST

static char *make_tmpdir(void)
{
        char tmpl[] = "/tmp/hvd-vmdef.XXXXXX";
        char *p = mkdtemp(tmpl);
        ck_assert_ptr_nonnull(p);
        return strdup(p);
}

static void rm_rf(const char *dir)
{
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

struct seen {
        int n;
        char names[8][VM_NAME_MAX + 1];
        char texts[8][256];
};

static void on_load(const char *name, const char *text, size_t len, int r, void *userdata)
{
        struct seen *s = userdata;
        ck_assert_int_eq(r, 0);
        ck_assert_int_lt(s->n, 8);
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
        snprintf(s->texts[s->n], sizeof(s->texts[0]), "%s", text);
        s->n++;
}

START_TEST(test_store)
{
        _cleanup_free_ char *dir = make_tmpdir();
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct seen seen = { 0 };
        char path[512];
        FILE *f;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(vm_store_write(fd, "a", "{\"v\": 1}"), 0);
        ck_assert_int_eq(vm_store_write(fd, "a", "{\"v\": 2}"), 0); /* replaces */
        ck_assert_int_eq(vm_store_write(fd, "../escape", "{}"), -EINVAL);
        /* a crash's leftovers, a lock file and a stray file */
        snprintf(path, sizeof(path), "%s/.b.json.abc123", dir);
        f = fopen(path, "w");
        fputs("{\"torn", f);
        fclose(f);
        snprintf(path, sizeof(path), "%s/.lock", dir);
        fclose(fopen(path, "w"));
        snprintf(path, sizeof(path), "%s/README", dir);
        fclose(fopen(path, "w"));
        ck_assert_int_eq(vm_store_clean_temps(fd), 1);
        snprintf(path, sizeof(path), "%s/.b.json.abc123", dir);
        ck_assert_int_ne(access(path, F_OK), 0);
        snprintf(path, sizeof(path), "%s/.lock", dir);
        ck_assert_int_eq(access(path, F_OK), 0);

        ck_assert_int_eq(vm_store_load(fd, on_load, &seen), 0);
        ck_assert_int_eq(seen.n, 1);
        ck_assert_str_eq(seen.names[0], "a");
        ck_assert_str_eq(seen.texts[0], "{\"v\": 2}\n");

        ck_assert_int_eq(vm_store_remove(fd, "a"), 0);
        ck_assert_int_eq(vm_store_remove(fd, "a"), -ENOENT);
        rm_rf(dir);
}
END_TEST

START_TEST(test_conf)
{
        _cleanup_free_ char *dir = make_tmpdir();
        struct hvd_conf c;
        char path[512], *err = NULL;
        FILE *f;

        snprintf(path, sizeof(path), "%s/hvd.conf", dir);
        hvd_conf_init(&c);
        ck_assert_int_eq(hvd_conf_load(&c, path, true, &err), 0); /* missing and optional */
        ck_assert_int_eq(hvd_conf_load(&c, path, false, &err), -ENOENT);
        ck_assert_msg(strstr(err, "hvd.conf: No such file or directory"), "%s", err);
        free(err);
        err = NULL;

        f = fopen(path, "w");
        fputs("# comment\n[hvd]\nShutdownTimeoutSec = 5\nMaxVMs=10\nGroup = kvmusers\nStateDirectory=/srv/hvd\n", f);
        fclose(f);
        ck_assert_int_eq(hvd_conf_load(&c, path, false, &err), 0);
        ck_assert_int_eq(c.shutdown_timeout_usec, 5000000);
        ck_assert_int_eq(c.max_vms, 10);
        ck_assert_str_eq(c.group, "kvmusers");
        ck_assert_str_eq(c.state_dir, "/srv/hvd");

        f = fopen(path, "w");
        fputs("MaxVMs = -3\n", f);
        fclose(f);
        ck_assert_int_eq(hvd_conf_load(&c, path, false, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, ":1: invalid value for MaxVMs"));
        free(err);
        err = NULL;
        f = fopen(path, "w");
        fputs("\nBogus = 1\n", f);
        fclose(f);
        ck_assert_int_eq(hvd_conf_load(&c, path, false, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, ":2: unknown key \"Bogus\""));
        free(err);
        hvd_conf_done(&c);
        rm_rf(dir);
}
END_TEST

START_TEST(test_error_table)
{
        ck_assert_str_eq(hvd_bus_error_name(-ENOENT), HVD_ERROR_NO_SUCH_VM);
        ck_assert_str_eq(hvd_bus_error_name(-EINVAL), HVD_ERROR_INVALID_CONFIG);
        ck_assert_str_eq(hvd_bus_error_name(-EBUSY), HVD_ERROR_INVALID_STATE);
        ck_assert_str_eq(hvd_bus_error_name(-EEXIST), HVD_ERROR_EXISTS);
        ck_assert_str_eq(hvd_bus_error_name(-EACCES), HVD_ERROR_ACCESS_DENIED);
        ck_assert_str_eq(hvd_bus_error_name(-ETIMEDOUT), HVD_ERROR_TIMEOUT);
        ck_assert_str_eq(hvd_bus_error_name(-EOPNOTSUPP), HVD_ERROR_NOT_SUPPORTED);
        ck_assert_str_eq(hvd_bus_error_name(-ENODEV), HVD_ERROR_NOT_SUPPORTED); /* no vendor plugin */
        ck_assert_str_eq(hvd_bus_error_name(-ENOSPC), HVD_ERROR_LIMIT_EXCEEDED);
        ck_assert_str_eq(hvd_bus_error_name(-EXDEV), HVD_ERROR_FAILED);
        ck_assert_int_eq(vm_on_reboot_from_string("shutoff"), VM_ON_REBOOT_SHUTOFF);
        ck_assert_int_eq(vm_on_reboot_from_string("nope"), _VM_ON_REBOOT_INVALID);
        for (int i = 0; i < _VM_ON_REBOOT_MAX; i++)
                ck_assert_int_eq(vm_on_reboot_from_string(vm_on_reboot_to_string(i)), i);
        ck_assert_ptr_null(vm_on_reboot_to_string(_VM_ON_REBOOT_MAX));
}
END_TEST

START_TEST(test_uuid)
{
        _cleanup_free_ char *a = NULL, *b = NULL;

        ck_assert_int_eq(vm_uuid_new(&a), 0);
        ck_assert_int_eq(vm_uuid_new(&b), 0);
        ck_assert(vm_uuid_is_valid(a));
        ck_assert_str_ne(a, b);
        ck_assert_int_eq(a[14], '4'); /* version 4 */
}
END_TEST

/* The sample definitions shipped in examples/ are valid. */
START_TEST(test_examples)
{
        static const char *const names[] = { "demo", "echo", "full" };
        const char *top = getenv("HVD_TOP_SRCDIR");

        ck_assert_ptr_nonnull(top);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_(vm_def_freep) struct vm_def *d = NULL;
                char path[4096], buf[VM_DEF_JSON_MAX + 1], *err = NULL;
                FILE *f;
                size_t n;

                snprintf(path, sizeof(path), "%s/examples/%s.json", top, names[i]);
                f = fopen(path, "re");
                ck_assert_msg(f != NULL, "%s: %m", path);
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = 0;
                /* @GUEST_DIR@ is filled in by the file's user: make it an absolute path */
                for (char *p; (p = strstr(buf, "@GUEST_DIR@"));) {
                        memcpy(p, "/g", 2);
                        memmove(p + 2, p + 11, strlen(p + 11) + 1);
                }
                ck_assert_msg(parse(buf, &d, &err) == 0, "%s: %s", path, err);
        }
}
END_TEST

int main(void)
{
        Suite *s = suite_create("daemon-vmdef");
        TCase *tc = tcase_create("vmdef");

        tcase_add_test(tc, test_names);
        tcase_add_test(tc, test_minimal_defaults);
        tcase_add_test(tc, test_round_trip);
        tcase_add_loop_test(tc, test_hostile, 0, (int)ARRAY_SIZE(hostile));
        tcase_add_test(tc, test_embedded_nul_and_size);
        tcase_add_test(tc, test_check_files);
        tcase_add_test(tc, test_limits_from_host);
        tcase_add_test(tc, test_store);
        tcase_add_test(tc, test_conf);
        tcase_add_test(tc, test_error_table);
        tcase_add_test(tc, test_uuid);
        tcase_add_test(tc, test_examples);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
