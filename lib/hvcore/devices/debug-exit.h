/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A debug-exit port for test guests, compatible with QEMU's isa-debug-exit as test suites
 * configure it (iobase=0xf4, iosize=4): a write of value v means "the guest is done, with
 * code v"; QEMU then exits with status (v << 1) | 1, which hv_debug_exit_status computes for
 * callers that want the same convention. Reads return 0. The device has no state, so it
 * needs no lock: ops->exit runs on the vCPU thread that wrote, with no hvcore lock taken. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_DEBUG_EXIT_PORT 0xf4
#define HV_DEBUG_EXIT_SIZE 4

struct hv_debug_exit;

struct hv_debug_exit_ops {
        /* The guest asked to exit with code (the value it wrote, zero-extended). */
        void (*exit)(void *opaque, uint32_t code);
};

int hv_debug_exit_new(const struct hv_debug_exit_ops *ops, void *opaque, struct hv_debug_exit **ret);
/* Accepts NULL; returns NULL. */
struct hv_debug_exit *hv_debug_exit_free(struct hv_debug_exit *d);

/* A guest access of len bytes (little endian in data) at offset from the port. Accesses that
 * do not fit in the port's HV_DEBUG_EXIT_SIZE bytes are ignored (reads give all ones). */
void hv_debug_exit_io(struct hv_debug_exit *d, uint16_t offset, bool is_write, uint8_t *data, size_t len);

/* The process status QEMU would exit with for code: (code << 1) | 1, truncated to 32 bits. */
static inline uint32_t hv_debug_exit_status(uint32_t code) { return (code << 1) | 1; }
