/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory: one <name>.json per VM, written atomically (temp file, fsync, rename,
 * fsync of the directory), so a crash leaves the old or the new definition, never a torn one. */
#pragma once

#include <stddef.h>

/* Writes <name>.json in the directory dir_fd with content text. */
int vm_store_write(int dir_fd, const char *name, const char *text);
/* Removes <name>.json (and syncs the directory). -ENOENT if there is none. */
int vm_store_remove(int dir_fd, const char *name);
/* Removes temp files a crash left behind (".<name>.json.XXXXXX"); returns how many. */
int vm_store_clean_temps(int dir_fd);

/* Calls fn for each <name>.json with a valid name, with its content (NUL-terminated).
 * A file that cannot be read is reported through fn with text NULL and r < 0. */
typedef void (*vm_store_load_fn)(const char *name, const char *text, size_t len, int r, void *userdata);
int vm_store_load(int dir_fd, vm_store_load_fn fn, void *userdata);
