/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dirtier guest's memory pattern, shared by the guest (freestanding, -m32) and host-side
 * checkers (migration and dirty-log exactness tests): from a page's guest frame number and a
 * pass number alone, anyone can recompute what the dirtier wrote there.
 *
 * Region. The dirtier owns [base, base + (1 + pages * stride) * 4096):
 *   - the status page at `base` (struct hv_dirtier_status at its start, rewritten after every
 *     page written, so it is always dirty while the guest runs);
 *   - pattern page k (0 <= k < pages) at gfn = base / 4096 + 1 + k * stride.
 *   base, pages, stride and words come from the command line (see dirtier.c) and are echoed
 *   in the status block.
 *
 * Content. In pass p (0, 1, 2, ...) the dirtier writes pattern pages in order k = 0 .. pages-1,
 * each with words 0 .. words-1 (32-bit, little-endian) set to hv_dirtier_word(gfn, p, j); the
 * rest of the page is never written (it keeps the zeroes of fresh guest RAM).
 *
 * Progress. The status block's `done` counts the pattern pages completely written since the
 * start; the guest updates it with a single 32-bit store after each page, so a host that stopped
 * the vCPU always reads a consistent value. With pass = done / pages and next = done % pages:
 *   k <  next: written in pass `pass`
 *   k >  next: written in pass `pass - 1`, or never written (all zero) if pass == 0
 *   k == next: being written: each word holds its pass `pass` value or its pass `pass - 1`
 *              value (zero if pass == 0).
 * (`done` wraps after 2^32 pages, many hours at the rates the emulator reaches.)
 *
 * Any two different passes give a different value in every word of a page, and so do any two
 * different pages in one pass: a stale or misplaced page cannot pass the check.
 */
#pragma once

#include <stdint.h>

#define HV_DIRTIER_PAGE_SIZE 4096u
#define HV_DIRTIER_STATUS_MAGIC 0x52494448u /* "HDIR" */

static inline uint32_t hv_dirtier_page_seed(uint32_t gfn, uint32_t pass)
{
        /* both multipliers are odd, so each term is a bijection of its argument */
        return (gfn * 0x9e3779b1u) ^ ((pass + 1u) * 0x85ebca77u);
}

/* Word j (0 <= j < 1024) of page gfn after pass `pass`. */
static inline uint32_t hv_dirtier_word(uint32_t gfn, uint32_t pass, uint32_t j)
{
        return hv_dirtier_page_seed(gfn, pass) + j * 0x01000193u;
}

/* Kept at the start of the status page. All fields 32-bit, written by the guest only. */
struct hv_dirtier_status {
        uint32_t magic;       /* HV_DIRTIER_STATUS_MAGIC once the dirtier has started */
        uint32_t base_gfn;    /* gfn of the status page; pattern page k is at base_gfn + 1 + k * stride */
        uint32_t pages;
        uint32_t stride;
        uint32_t words;       /* words written per page, 1..1024 */
        uint32_t done;        /* pattern pages completely written since the start */
        uint32_t verified;    /* passes verified so far (verify=1) */
        uint32_t errors;      /* words found wrong by verification */
};

/* gfn of pattern page k. */
static inline uint32_t hv_dirtier_gfn(const struct hv_dirtier_status *st, uint32_t k)
{
        return st->base_gfn + 1u + k * st->stride;
}

/* Checks pattern page k (its words, at least st->words of them) against the status block, by
 * the rule under "Progress" above. Returns 0 when the page is as expected, else 1 + the index of
 * the first wrong word. Meant for host-side checkers reading a stopped guest's memory. */
static inline uint32_t hv_dirtier_page_check(const struct hv_dirtier_status *st, uint32_t k, const uint32_t *page)
{
        uint32_t pass = st->done / st->pages, next = st->done % st->pages, gfn = hv_dirtier_gfn(st, k);
        for (uint32_t j = 0; j < st->words; j++) {
                uint32_t now = hv_dirtier_word(gfn, pass, j);
                uint32_t before = pass ? hv_dirtier_word(gfn, pass - 1u, j) : 0;
                uint32_t w = page[j];
                int ok = k < next ? w == now : k > next ? w == before : (w == now || w == before);
                if (!ok)
                        return j + 1u;
        }
        return 0;
}
