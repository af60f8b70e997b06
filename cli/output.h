/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vmctl's output: D-Bus values as json-c objects, which print either as JSON (--json) or as
 * human "Key: value" lines and tables. */
#pragma once

#include <json-c/json.h>
#include "macros.h"
#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

static inline void json_object_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_object_putp)))

/* Reads the next complete value of m (any D-Bus type) as JSON. Returns 0 or -errno. */
int vmctl_json_read_value(sd_bus_message *m, json_object **ret);

/* Reads an a{sv} (a GetAll reply) as a JSON object keyed by property name. */
int vmctl_json_read_properties(sd_bus_message *m, json_object **ret);

/* Prints o as pretty JSON and a newline on stdout. Returns 0 or -errno (EIO on a write error). */
int vmctl_json_print(json_object *o);

/* Prints an object's members as aligned "Key: value" lines, skipping the keys in skip
 * (NULL-terminated, may be NULL). */
void vmctl_fields_print(json_object *o, const char *const *skip);

/* A value as text for the human output: strings bare, the rest as JSON. Borrowed from o. */
const char *vmctl_json_text(json_object *o);

/* Writes s with its control characters as \xNN (text from hvd goes to a terminal). */
void vmctl_fputs_escaped(const char *s, FILE *f);

/* Prints a table with ncols columns: header then nrows rows of cells (row-major), left-aligned
 * and padded to the widest cell of each column. */
void vmctl_table_print(const char *const *header, size_t ncols, char **cells, size_t nrows);
