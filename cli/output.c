/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output: one converter from D-Bus values to json-c, two printers (JSON, human). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"
#include "output.h"

#define JSON_FLAGS_PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)
#define JSON_FLAGS_PLAIN (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int json_read_basic(sd_bus_message *m, char type, json_object **ret)
{
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
                int h;
        } val;
        json_object *o;
        int r;

        r = sd_bus_message_read_basic(m, type, &val);
        if (r < 0)
                return r;
        switch (type) {
        case 'y': o = json_object_new_int(val.y); break;
        case 'b': o = json_object_new_boolean(val.b); break;
        case 'n': o = json_object_new_int(val.n); break;
        case 'q': o = json_object_new_int(val.q); break;
        case 'i': o = json_object_new_int(val.i); break;
        case 'u': o = json_object_new_int64(val.u); break;
        case 'x': o = json_object_new_int64(val.x); break;
        case 't': o = json_object_new_uint64(val.t); break;
        case 'd': o = json_object_new_double(val.d); break;
        case 'h': o = json_object_new_int(val.h); break;
        case 's':
        case 'o':
        case 'g': o = json_object_new_string(val.s); break;
        default: return -EBADMSG;
        }
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

/* A dictionary (a{..}) becomes an object; its keys are the key values as text. */
static int json_read_dict(sd_bus_message *m, const char *contents, json_object **ret)
{
        _cleanup_json_ json_object *obj = json_object_new_object();
        int r;

        if (!obj)
                return -ENOMEM;
        for (;;) {
                _cleanup_json_ json_object *key = NULL, *value = NULL;
                const char *k, *entry;
                char type;

                r = sd_bus_message_peek_type(m, &type, &entry);
                if (r <= 0)
                        break;
                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry);
                if (r < 0)
                        return r;

                r = vmctl_json_read_value(m, &key);
                if (r < 0)
                        return r;
                r = vmctl_json_read_value(m, &value);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                k = json_object_is_type(key, json_type_string) ? json_object_get_string(key)
                                                                : json_object_to_json_string_ext(key, JSON_FLAGS_PLAIN);
                if (json_object_object_add(obj, k, TAKE_PTR(value)) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return r;
        (void)contents;
        *ret = TAKE_PTR(obj);
        return 0;
}

int vmctl_json_read_value(sd_bus_message *m, json_object **ret)
{
        _cleanup_json_ json_object *o = NULL;
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENXIO; /* nothing left to read */
        if (!strchr("vare", type))
                return json_read_basic(m, type, ret);

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;
        if (type == 'v')
                r = vmctl_json_read_value(m, &o);
        else if (type == 'a' && contents[0] == '{')
                r = json_read_dict(m, contents, &o);
        else {
                /* arrays and structures both become JSON arrays */
                o = json_object_new_array();
                if (!o)
                        return -ENOMEM;
                while ((r = sd_bus_message_peek_type(m, NULL, NULL)) > 0) {
                        json_object *item = NULL;

                        r = vmctl_json_read_value(m, &item);
                        if (r < 0)
                                return r;
                        if (json_object_array_add(o, item) < 0) {
                                json_object_put(item);
                                return -ENOMEM;
                        }
                }
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int vmctl_json_read_properties(sd_bus_message *m, json_object **ret)
{
        _cleanup_json_ json_object *o = NULL;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        r = json_read_dict(m, "{sv}", &o);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int vmctl_json_print(json_object *o)
{
        const char *s = json_object_to_json_string_ext(o, JSON_FLAGS_PRETTY);

        if (!s)
                return -ENOMEM;
        if (puts(s) == EOF || fflush(stdout) == EOF)
                return -EIO;
        return 0;
}

const char *vmctl_json_text(json_object *o)
{
        if (!o)
                return "-";
        if (json_object_is_type(o, json_type_string))
                return json_object_get_string(o);
        if (json_object_is_type(o, json_type_boolean))
                return json_object_get_boolean(o) ? "yes" : "no";
        return json_object_to_json_string_ext(o, JSON_FLAGS_PLAIN);
}

/* Text from hvd may hold anything a VM's name or definition can: control characters are
 * shown as \xNN so that none reaches the terminal as a command. */
static bool byte_is_control(unsigned char c)
{
        return c < 0x20 || c == 0x7f;
}

static int escaped_width(const char *s)
{
        int n = 0;

        for (; *s; s++)
                n += byte_is_control(*s) ? 4 : 1;
        return n;
}

void vmctl_fputs_escaped(const char *s, FILE *f)
{
        for (; *s; s++)
                if (byte_is_control(*s))
                        fprintf(f, "\\x%02x", (unsigned char)*s);
                else
                        fputc(*s, f);
}

/* Prints s escaped, padded with spaces to width. */
static void put_padded(const char *s, int width)
{
        vmctl_fputs_escaped(s, stdout);
        printf("%*s", MAX(width - escaped_width(s), 0), "");
}

static bool key_skipped(const char *key, const char *const *skip)
{
        for (; skip && *skip; skip++)
                if (strcmp(*skip, key) == 0)
                        return true;
        return false;
}

void vmctl_fields_print(json_object *o, const char *const *skip)
{
        int width = 0;

        json_object_object_foreach(o, key, val) {
                (void)val;
                if (!key_skipped(key, skip))
                        width = MAX(width, escaped_width(key) + 1);
        }
        json_object_object_foreach(o, key2, val2) {
                if (key_skipped(key2, skip))
                        continue;
                vmctl_fputs_escaped(key2, stdout);
                put_padded(":", width - escaped_width(key2) + 1);
                vmctl_fputs_escaped(vmctl_json_text(val2), stdout);
                putchar('\n');
        }
}

void vmctl_table_print(const char *const *header, size_t ncols, char **cells, size_t nrows)
{
        int width[16] = { 0 };

        ncols = MIN(ncols, ARRAY_SIZE(width));
        for (size_t c = 0; c < ncols; c++) {
                width[c] = escaped_width(header[c]);
                for (size_t row = 0; row < nrows; row++)
                        width[c] = MAX(width[c], escaped_width(cells[row * ncols + c]));
        }
        for (size_t row = 0; row <= nrows; row++)
                for (size_t c = 0; c < ncols; c++) {
                        const char *cell = row == 0 ? header[c] : cells[(row - 1) * ncols + c];

                        if (c + 1 < ncols) {
                                put_padded(cell, width[c]);
                                fputs("  ", stdout);
                        } else {
                                vmctl_fputs_escaped(cell, stdout);
                                putchar('\n');
                        }
                }
}
