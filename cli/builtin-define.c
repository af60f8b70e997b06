/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl define FILE: sends a JSON definition (a file, or stdin for '-') to DefineVM. The file
 * is read whole but bounded; hvd validates its content, vmctl only what D-Bus cannot carry. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "macros.h"
#include "output.h"

#define DEFINITION_MAX (1024 * 1024)

/* Reads at most max bytes of fd, NUL-terminated; -EFBIG when there is more. */
static int read_bounded(int fd, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;

        for (;;) {
                ssize_t n;

                if (size == alloc) {
                        char *p;

                        if (alloc > max)
                                return -EFBIG;
                        alloc = alloc ? MIN(alloc * 4, max + 1) : 16384;
                        p = realloc(buf, alloc + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read(fd, buf + size, alloc - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += n;
                if (size > max)
                        return -EFBIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

/* D-Bus strings are UTF-8 without NUL: check here to say which byte is wrong. Returns the
 * offset of the first bad byte, or -1. */
static long utf8_first_invalid(const unsigned char *s, size_t size)
{
        for (size_t i = 0; i < size;) {
                unsigned c = s[i], len, cp;

                if (c == 0)
                        return (long)i;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 2, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 3, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 4, cp = c & 0x07;
                else
                        return (long)i;
                if (size - i < len)
                        return (long)i;
                for (unsigned k = 1; k < len; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return (long)i;
                        cp = cp << 6 | (s[i + k] & 0x3f);
                }
                /* overlong forms, surrogates, beyond U+10FFFF */
                if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return (long)i;
                i += len;
        }
        return -1;
}

int vmctl_define(struct vmctl *v, int argc, char **argv)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *text = NULL, *name = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *file = argv[0], *path;
        size_t size;
        long bad;
        int r;

        if (strcmp(file, "-") == 0)
                r = read_bounded(STDIN_FILENO, DEFINITION_MAX, &text, &size);
        else {
                fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        fprintf(stderr, "vmctl: define %s: %s\n", file, strerror(errno));
                        return VMCTL_EXIT_FAILURE;
                }
                r = read_bounded(fd, DEFINITION_MAX, &text, &size);
        }
        if (r == -EFBIG) {
                fprintf(stderr, "vmctl: define %s: larger than %d KiB, not a VM definition\n", file,
                        DEFINITION_MAX / 1024);
                return VMCTL_EXIT_INVALID_CONFIG;
        }
        if (r < 0) {
                fprintf(stderr, "vmctl: define %s: %s\n", file, strerror(-r));
                return VMCTL_EXIT_FAILURE;
        }
        bad = utf8_first_invalid((const unsigned char *)text, size);
        if (bad >= 0) {
                fprintf(stderr, "vmctl: define %s: byte %ld is %s\n", file, bad,
                        text[bad] ? "not valid UTF-8" : "a NUL byte");
                return VMCTL_EXIT_INVALID_CONFIG;
        }

        r = vmctl_call_method(v->bus, HVD_MANAGER_PATH, HVD_MANAGER_IFACE, "DefineVM",
                               &error, &reply, "s", text);
        if (r < 0)
                return vmctl_report(v, file, &error, r);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return vmctl_report(v, file, NULL, r);
        /* The name hvd settled on, for the message; the path alone does if that fails. */
        (void)sd_bus_get_property_string(v->bus, HVD_BUS_NAME, path, HVD_VM_IFACE, "Name", NULL, &name);

        if (v->json) {
                _cleanup_json_ json_object *o = json_object_new_object();

                if (!o)
                        return vmctl_report(v, file, NULL, -ENOMEM);
                if (name)
                        json_object_object_add(o, "Name", json_object_new_string(name));
                json_object_object_add(o, "Path", json_object_new_string(path));
                r = vmctl_json_print(o);
                if (r < 0)
                        return vmctl_report(v, file, NULL, r);
        } else {
                fputs(name ? "Defined VM " : "Defined ", stdout);
                if (name) {
                        vmctl_fputs_escaped(name, stdout);
                        fputs(" (", stdout);
                }
                printf("%s%s\n", path, name ? ")" : "");
        }
        return VMCTL_EXIT_OK;
}
