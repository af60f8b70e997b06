/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM definition: the JSON file format of hvd-vm.json(5), parsed, validated and written. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hvcore/host.h>

#define VM_NAME_MAX 64
#define VM_DEF_JSON_MAX (64 * 1024)   /* a definition larger than this is refused */
#define VM_DEF_PATH_MAX 4095
#define VM_DEF_CMDLINE_MAX 4096
#define VM_DEF_CONSOLE_LOG_KIB_MAX 1024

enum vm_on_reboot {
        VM_ON_REBOOT_RESTART,
        VM_ON_REBOOT_SHUTOFF,
        _VM_ON_REBOOT_MAX,
        _VM_ON_REBOOT_INVALID = -22,
};
const char *vm_on_reboot_to_string(enum vm_on_reboot r);
enum vm_on_reboot vm_on_reboot_from_string(const char *s);

struct vm_def {
        char *name;
        char *uuid;              /* 36 characters, lower case; assigned at define time */
        uint32_t vcpus;
        uint64_t memory_mib;
        char *kernel;
        char *initrd;            /* NULL for none */
        char *cmdline;           /* NULL for none */
        uint32_t console_log_kib;
        enum vm_on_reboot on_reboot;
        int autostart;           /* int, not bool: sd-bus reads "b" properties as int */
};

/* The size limits of a definition: hvcore's for this host (hv_host_info.vm_max_vcpus and
 * vm_max_memory_mib) when a client defines a VM, so that what cannot start is refused then. */
struct vm_def_limits {
        uint32_t max_vcpus;
        uint64_t max_memory_mib;
        bool check_files;        /* stat boot files (define time), not when loading from disk */
};

/* The limits DefineVM validates against: the host's, as hvcore reports them. */
struct vm_def_limits vm_def_limits_from_host(const struct hv_host_info *host, bool check_files);

/* A name that can be a file name in the state directory and nothing else. */
bool vm_name_is_valid(const char *name);
bool vm_uuid_is_valid(const char *uuid);

/* Parses and validates a definition. On failure returns -EINVAL (or -E2BIG, -ENOMEM) and,
 * when ret_error is non-NULL, a malloc'd message naming the field and the reason. A missing
 * UUID stays NULL (the caller assigns one). */
int vm_def_from_json(const char *text, size_t len, const struct vm_def_limits *limits,
                     struct vm_def **ret, char **ret_error);
/* The canonical JSON text (every field, defaults filled in). */
int vm_def_to_json(const struct vm_def *def, bool pretty, char **ret);
struct vm_def *vm_def_free(struct vm_def *def);
static inline void vm_def_freep(struct vm_def **p) { if (*p) *p = vm_def_free(*p); }

/* Generates a random (version 4) UUID string into a malloc'd string. */
int vm_uuid_new(char **ret);
