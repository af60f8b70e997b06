/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enum <-> string: one pattern for every enum with a name. The enum ends with _X_MAX and
 * _X_INVALID = -EINVAL; the table is indexed by the enum, one entry for every value:
 *
 *     static const char *const color_table[_COLOR_MAX] = { [COLOR_RED] = "red", ... };
 *     DEFINE_STRING_TABLE_LOOKUP(color, enum color, _COLOR_MAX);
 *
 * defines color_to_string() (NULL for a value out of range) and color_from_string()
 * (_COLOR_INVALID, i.e. -EINVAL, for an unknown or NULL string). */
#pragma once

#include <errno.h>
#include <string.h>

#define DEFINE_STRING_TABLE_LOOKUP(name, type, max)                               \
        const char *name##_to_string(type v)                                     \
        {                                                                        \
                return (int)v >= 0 && (int)v < (max) ? name##_table[v] : NULL;   \
        }                                                                        \
        type name##_from_string(const char *s)                                   \
        {                                                                        \
                for (int i = 0; s && i < (max); i++)                             \
                        if (name##_table[i] && strcmp(name##_table[i], s) == 0)  \
                                return (type)i;                                  \
                return (type)-EINVAL;                                            \
        }
