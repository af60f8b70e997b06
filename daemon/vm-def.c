/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM definitions: strict JSON parsing (json-c) where every refusal names the field. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <systemd/sd-id128.h>

#include "macros.h"
#include "string-table.h"
#include "vm-def.h"

#define JSON_DEPTH_MAX 8
#define CONSOLE_LOG_KIB_DEFAULT 64

static const char *const vm_on_reboot_table[_VM_ON_REBOOT_MAX] = {
        [VM_ON_REBOOT_RESTART] = "restart",
        [VM_ON_REBOOT_SHUTOFF] = "shutoff",
};

DEFINE_STRING_TABLE_LOOKUP(vm_on_reboot, enum vm_on_reboot, _VM_ON_REBOOT_MAX);

static bool char_is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool vm_name_is_valid(const char *name)
{
        size_t n;

        if (!name || !char_is_alnum(name[0]))
                return false;
        n = strlen(name);
        if (n > VM_NAME_MAX)
                return false;
        for (size_t i = 1; i < n; i++)
                if (!char_is_alnum(name[i]) && !strchr("._-", name[i]))
                        return false;
        return !strstr(name, "..");
}

bool vm_uuid_is_valid(const char *uuid)
{
        if (!uuid || strlen(uuid) != 36)
                return false;
        for (size_t i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                char c = uuid[i];
                if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return false;
        }
        return true;
}

int vm_uuid_new(char **ret)
{
        sd_id128_t id;
        char *s;
        int r;

        r = sd_id128_randomize(&id); /* already a version 4 UUID */
        if (r < 0)
                return r;
        s = malloc(37);
        if (!s)
                return -ENOMEM;
        snprintf(s, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 id.bytes[0], id.bytes[1], id.bytes[2], id.bytes[3], id.bytes[4], id.bytes[5],
                 id.bytes[6], id.bytes[7], id.bytes[8], id.bytes[9], id.bytes[10], id.bytes[11],
                 id.bytes[12], id.bytes[13], id.bytes[14], id.bytes[15]);
        *ret = s;
        return 0;
}

struct vm_def *vm_def_free(struct vm_def *def)
{
        if (!def)
                return NULL;
        free(def->name);
        free(def->uuid);
        free(def->kernel);
        free(def->initrd);
        free(def->cmdline);
        free(def);
        return NULL;
}

_printf_(2, 3) static int fail(char **ret_error, const char *fmt, ...)
{
        va_list ap;

        if (ret_error) {
                char *s = NULL;
                va_start(ap, fmt);
                if (vasprintf(&s, fmt, ap) < 0)
                        s = NULL;
                va_end(ap);
                *ret_error = s;
        }
        return -EINVAL;
}

/* A short rendering of a JSON value for messages (never the whole oversized thing). */
static const char *show(json_object *v, char *buf, size_t len)
{
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
        size_t n = strlen(s);

        if (n < len) {
                memcpy(buf, s, n + 1);
        } else {
                memcpy(buf, s, len - 4);
                memcpy(buf + len - 4, "...", 4);
        }
        return buf;
}

static int get_uint(json_object *v, const char *field, uint64_t min, uint64_t max,
                    uint64_t *ret, char **ret_error)
{
        char buf[48];
        int64_t x;

        if (!json_object_is_type(v, json_type_int))
                return fail(ret_error, "%s: must be an integer from %" PRIu64 " to %" PRIu64 ", got %s",
                            field, min, max, show(v, buf, sizeof(buf)));
        errno = 0;
        x = json_object_get_int64(v);
        if (x < 0 || (uint64_t)x < min || (uint64_t)x > max || errno == ERANGE)
                return fail(ret_error, "%s: must be from %" PRIu64 " to %" PRIu64 ", got %s",
                            field, min, max, show(v, buf, sizeof(buf)));
        *ret = (uint64_t)x;
        return 0;
}

static int get_string(json_object *v, const char *field, size_t max, char **ret, char **ret_error)
{
        char buf[48];
        const char *s;
        size_t n;

        if (!json_object_is_type(v, json_type_string))
                return fail(ret_error, "%s: must be a string, got %s", field, show(v, buf, sizeof(buf)));
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        if (strlen(s) != n)
                return fail(ret_error, "%s: must not contain NUL characters", field);
        if (n > max)
                return fail(ret_error, "%s: longer than %zu characters", field, max);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return fail(ret_error, "%s: must not contain control characters", field);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int get_path(json_object *v, const char *field, bool check_file, char **ret, char **ret_error)
{
        _cleanup_free_ char *p = NULL;
        struct stat st;
        int r;

        r = get_string(v, field, VM_DEF_PATH_MAX, &p, ret_error);
        if (r < 0)
                return r;
        if (p[0] != '/')
                return fail(ret_error, "%s: must be an absolute path, got \"%s\"", field, p);
        if (check_file) {
                if (stat(p, &st) < 0)
                        return fail(ret_error, "%s: %s: %s", field, p, strerror(errno));
                if (!S_ISREG(st.st_mode))
                        return fail(ret_error, "%s: %s: not a regular file", field, p);
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static int parse_boot(json_object *o, struct vm_def *d, const struct vm_def_limits *lim, char **ret_error)
{
        char buf[48];
        int r;

        if (!json_object_is_type(o, json_type_object))
                return fail(ret_error, "boot: must be an object, got %s", show(o, buf, sizeof(buf)));
        json_object_object_foreach(o, key, v) {
                if (strcmp(key, "kernel") == 0)
                        r = get_path(v, "boot.kernel", lim->check_files, &d->kernel, ret_error);
                else if (strcmp(key, "initrd") == 0)
                        r = json_object_is_type(v, json_type_null) ? 0
                                : get_path(v, "boot.initrd", lim->check_files, &d->initrd, ret_error);
                else if (strcmp(key, "cmdline") == 0)
                        r = json_object_is_type(v, json_type_null) ? 0
                                : get_string(v, "boot.cmdline", VM_DEF_CMDLINE_MAX, &d->cmdline, ret_error);
                else
                        r = fail(ret_error, "boot.%.64s: unknown field", key);
                if (r < 0)
                        return r;
        }
        if (!d->kernel)
                return fail(ret_error, "boot.kernel: missing (the guest kernel to boot)");
        return 0;
}

static int parse_console(json_object *o, struct vm_def *d, char **ret_error)
{
        char buf[48];
        uint64_t x;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return fail(ret_error, "console: must be an object, got %s", show(o, buf, sizeof(buf)));
        json_object_object_foreach(o, key, v) {
                if (strcmp(key, "log_kib") == 0) {
                        r = get_uint(v, "console.log_kib", 1, VM_DEF_CONSOLE_LOG_KIB_MAX, &x, ret_error);
                        if (r < 0)
                                return r;
                        d->console_log_kib = (uint32_t)x;
                } else
                        return fail(ret_error, "console.%.64s: unknown field", key);
        }
        return 0;
}

static int parse_object(json_object *root, const struct vm_def_limits *lim, struct vm_def *d, char **ret_error)
{
        char buf[48];
        uint64_t x;
        int r;

        if (!json_object_is_type(root, json_type_object))
                return fail(ret_error, "definition: must be a JSON object, got %s", show(root, buf, sizeof(buf)));

        json_object_object_foreach(root, key, v) {
                if (strcmp(key, "name") == 0) {
                        r = get_string(v, "name", VM_NAME_MAX * 4, &d->name, ret_error);
                        if (r >= 0 && !vm_name_is_valid(d->name))
                                r = fail(ret_error, "name: \"%.64s\" is not a valid VM name (1 to %d of A-Z a-z 0-9 . _ -, "
                                         "starting with a letter or digit, no \"..\")", d->name, VM_NAME_MAX);
                } else if (strcmp(key, "uuid") == 0) {
                        r = get_string(v, "uuid", 64, &d->uuid, ret_error);
                        if (r >= 0 && !vm_uuid_is_valid(d->uuid))
                                r = fail(ret_error, "uuid: \"%s\" is not a lower-case UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", d->uuid);
                } else if (strcmp(key, "vcpus") == 0) {
                        r = get_uint(v, "vcpus", 1, lim->max_vcpus, &x, ret_error);
                        if (r >= 0)
                                d->vcpus = (uint32_t)x;
                } else if (strcmp(key, "memory_mib") == 0) {
                        r = get_uint(v, "memory_mib", 1, lim->max_memory_mib, &x, ret_error);
                        if (r >= 0)
                                d->memory_mib = x;
                } else if (strcmp(key, "boot") == 0) {
                        r = parse_boot(v, d, lim, ret_error);
                } else if (strcmp(key, "console") == 0) {
                        r = parse_console(v, d, ret_error);
                } else if (strcmp(key, "on_reboot") == 0) {
                        _cleanup_free_ char *s = NULL;
                        r = get_string(v, "on_reboot", 32, &s, ret_error);
                        if (r >= 0) {
                                d->on_reboot = vm_on_reboot_from_string(s);
                                if (d->on_reboot < 0)
                                        r = fail(ret_error, "on_reboot: must be \"restart\" or \"shutoff\", got \"%s\"", s);
                        }
                } else if (strcmp(key, "autostart") == 0) {
                        if (!json_object_is_type(v, json_type_boolean))
                                r = fail(ret_error, "autostart: must be true or false, got %s", show(v, buf, sizeof(buf)));
                        else {
                                d->autostart = json_object_get_boolean(v);
                                r = 0;
                        }
                } else
                        r = fail(ret_error, "%.64s: unknown field", key);
                if (r < 0)
                        return r;
        }
        if (!d->name)
                return fail(ret_error, "name: missing");
        if (!d->kernel)
                return fail(ret_error, "boot: missing (boot.kernel names the guest kernel)");
        return 0;
}

struct vm_def_limits vm_def_limits_from_host(const struct hv_host_info *host, bool check_files)
{
        return (struct vm_def_limits){
                .max_vcpus = host->vm_max_vcpus,
                .max_memory_mib = host->vm_max_memory_mib,
                .check_files = check_files,
        };
}

int vm_def_from_json(const char *text, size_t len, const struct vm_def_limits *lim,
                     struct vm_def **ret, char **ret_error)
{
        _cleanup_(vm_def_freep) struct vm_def *d = NULL;
        json_tokener *tok;
        json_object *root;
        enum json_tokener_error jerr;
        size_t end;
        int r;

        if (len > VM_DEF_JSON_MAX) {
                if (ret_error)
                        (void)asprintf(ret_error, "definition: %zu bytes, more than the limit of %d", len, VM_DEF_JSON_MAX);
                return -E2BIG;
        }
        if (strnlen(text, len) != len)
                return fail(ret_error, "definition: contains a NUL byte");

        tok = json_tokener_new_ex(JSON_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, text, (int)len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (!root && jerr == json_tokener_continue) {
                /* a bare number at the end may go on: the end of input ends it */
                root = json_tokener_parse_ex(tok, "", 1);
                jerr = json_tokener_get_error(tok);
                end = len;
        }
        json_tokener_free(tok);
        if (!root || jerr != json_tokener_success) {
                json_object_put(root);
                return fail(ret_error, "definition: not valid JSON: %s",
                            jerr == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(jerr));
        }
        for (; end < len; end++)
                if (!strchr(" \t\r\n", text[end])) {
                        json_object_put(root);
                        return fail(ret_error, "definition: trailing data after the JSON object at byte %zu", end);
                }

        d = calloc(1, sizeof(*d));
        if (!d) {
                json_object_put(root);
                return -ENOMEM;
        }
        d->vcpus = 1;
        d->memory_mib = 64;
        d->console_log_kib = CONSOLE_LOG_KIB_DEFAULT;
        d->on_reboot = VM_ON_REBOOT_RESTART;
        r = parse_object(root, lim, d, ret_error);
        json_object_put(root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

static int add(json_object *o, const char *key, json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int vm_def_to_json(const struct vm_def *d, bool pretty, char **ret)
{
        json_object *root, *boot, *console;
        char *s;
        int r = 0;

        root = json_object_new_object();
        if (!root)
                return -ENOMEM;
        /* root owns boot and console from here on: one put frees all on any failure */
        boot = json_object_new_object();
        r |= add(root, "name", json_object_new_string(d->name));
        if (d->uuid)
                r |= add(root, "uuid", json_object_new_string(d->uuid));
        r |= add(root, "vcpus", json_object_new_int64(d->vcpus));
        r |= add(root, "memory_mib", json_object_new_int64((int64_t)d->memory_mib));
        r |= add(root, "boot", boot);
        if (r == 0) {
                r |= add(boot, "kernel", json_object_new_string(d->kernel));
                if (d->initrd)
                        r |= add(boot, "initrd", json_object_new_string(d->initrd));
                if (d->cmdline)
                        r |= add(boot, "cmdline", json_object_new_string(d->cmdline));
        }
        console = json_object_new_object();
        r |= add(root, "console", console);
        if (r == 0)
                r |= add(console, "log_kib", json_object_new_int64(d->console_log_kib));
        r |= add(root, "on_reboot", json_object_new_string(vm_on_reboot_to_string(d->on_reboot)));
        r |= add(root, "autostart", json_object_new_boolean(d->autostart));
        if (r != 0) {
                json_object_put(root);
                return -ENOMEM;
        }
        s = strdup(json_object_to_json_string_ext(root, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
