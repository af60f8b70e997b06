/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dirtier: writes a deterministic pattern over a set of pages at a chosen rate, reports its
 * progress on COM1, and can verify its own memory. The pattern, the region layout and the
 * status block are defined in dirtier-pattern.h, so a host-side checker can recompute every
 * page from (gfn, pass).
 *
 * Parameters:
 *   base_mib=N  the region (status page first) starts at N MiB (default 2; must lie above the
 *               guest image and inside RAM)
 *   pages=N     pattern pages (default 256)
 *   stride=N    pattern page k is at status page + 1 + k * N pages (default 1: contiguous)
 *   words=N     32-bit words written at the start of each page, 1..1024 (default 4)
 *   rate=N      pages per second, 0 = as fast as it can (default 0); needs tsc_khz
 *   tsc_khz=N   TSC frequency (the host fills it in); with it, progress is reported once a
 *               second, without it once per pass
 *   passes=N    stop after N passes (default 0: never)
 *   verify=1    after each pass, read every pattern page back and check it
 *   exit=N      exit code after the last pass (default 0)
 * Output:
 *   dirtier: start base=<addr> pages=<n> stride=<n> words=<n> rate=<n> passes=<n>
 *   DIRTY seq=<s> pass=<p> done=<pages written> rate=<pages in the last second>  (with tsc_khz)
 *   DIRTY pass=<p> done=<pages written>                                          (without)
 *   VERIFY pass=<p> ok  |  VERIFY pass=<p> FAIL gfn=<x> word=<j> got=<x> want=<x>
 *   dirtier: done passes=<n> pages=<total>
 * Exit codes: exit= after the last pass, 1 when verification fails, 2 for bad parameters.
 */
#include "dirtier-pattern.h"
#include "rt.h"

const char *rt_name = "dirtier";

static volatile struct hv_dirtier_status *status;
static uint32_t base_gfn, pages, stride, words;
static uint64_t tsc_hz, report_due, last_done;
static uint32_t seq;

static volatile uint32_t *page_ptr(uint32_t k)
{
        return (volatile uint32_t *)(uintptr_t)((base_gfn + 1u + k * stride) * HV_DIRTIER_PAGE_SIZE);
}

static void report_line(uint32_t pass, uint32_t done, bool per_second)
{
        rt_puts("DIRTY ");
        if (per_second) {
                rt_puts("seq=");
                rt_put_u64(++seq);
                rt_putc(' ');
        }
        rt_puts("pass=");
        rt_put_u64(pass);
        rt_puts(" done=");
        rt_put_u64(done);
        if (per_second) {
                rt_puts(" rate=");
                rt_put_u64(done - last_done);
                last_done = done;
        }
        rt_putc('\n');
}

static void maybe_report(uint64_t now, uint32_t pass, uint32_t done)
{
        if (!tsc_hz || (int64_t)(now - report_due) < 0)
                return;
        report_line(pass, done, true);
        report_due += tsc_hz;
        if ((int64_t)(now - report_due) > 0) /* fell behind: report once, not in a burst */
                report_due = now + tsc_hz;
}

static void verify_pass(uint32_t pass)
{
        for (uint32_t k = 0; k < pages; k++) {
                volatile uint32_t *p = page_ptr(k);
                uint32_t gfn = base_gfn + 1u + k * stride;
                for (uint32_t j = 0; j < words; j++) {
                        uint32_t want = hv_dirtier_word(gfn, pass, j), got = p[j];
                        if (got == want)
                                continue;
                        status->errors++;
                        rt_puts("VERIFY pass=");
                        rt_put_u64(pass);
                        rt_puts(" FAIL gfn=");
                        rt_put_hex(gfn);
                        rt_puts(" word=");
                        rt_put_u64(j);
                        rt_puts(" got=");
                        rt_put_hex(got);
                        rt_puts(" want=");
                        rt_put_hex(want);
                        rt_putc('\n');
                        rt_exit(RT_EXIT_VERIFY);
                }
        }
        status->verified++;
        rt_puts("VERIFY pass=");
        rt_put_u64(pass);
        rt_puts(" ok\n");
}

void guest_main(const struct hv_pvh_start_info *si)
{
        uint64_t base_mib = rt_arg_u64("base_mib", 2), n_pages = rt_arg_u64("pages", 256);
        uint64_t n_stride = rt_arg_u64("stride", 1), n_words = rt_arg_u64("words", 4);
        uint64_t rate = rt_arg_u64("rate", 0), khz = rt_arg_u64("tsc_khz", 0), passes = rt_arg_u64("passes", 0);
        uint32_t code = (uint32_t)rt_arg_u64("exit", 0);
        bool verify = rt_arg_is("verify", "1");

        if (n_pages == 0 || n_pages > (1u << 20))
                rt_die("pages= must be 1..1048576");
        if (n_stride == 0 || n_stride > (1u << 20))
                rt_die("stride= must be 1..1048576");
        if (n_words == 0 || n_words > HV_DIRTIER_PAGE_SIZE / 4)
                rt_die("words= must be 1..1024");
        if (base_mib == 0 || base_mib >= 4096 || (base_mib << 20) < (uintptr_t)__image_end)
                rt_die("base_mib= must put the region above the guest image and below 4 GiB");
        if (rate && !khz)
                rt_die("rate= needs tsc_khz= (the TSC frequency) to pace the writes");
        if (rate > 0xffffffffu || khz > 0xffffffffu / 1000u)
                rt_die("rate= or tsc_khz= out of range");
        uint64_t base = base_mib << 20, end = base + (1 + n_pages * n_stride) * HV_DIRTIER_PAGE_SIZE;
        if (end > rt_ram_end(base))
                rt_die("the region (base_mib=, pages=, stride=) does not fit in RAM");

        base_gfn = (uint32_t)(base / HV_DIRTIER_PAGE_SIZE);
        pages = (uint32_t)n_pages;
        stride = (uint32_t)n_stride;
        words = (uint32_t)n_words;
        tsc_hz = khz * 1000u;
        status = (volatile struct hv_dirtier_status *)(uintptr_t)base;
        status->base_gfn = base_gfn;
        status->pages = pages;
        status->stride = stride;
        status->words = words;
        status->done = 0;
        status->verified = 0;
        status->errors = 0;
        status->magic = HV_DIRTIER_STATUS_MAGIC;

        rt_puts("dirtier: start base=");
        rt_put_hex(base);
        rt_puts(" pages=");
        rt_put_u64(pages);
        rt_puts(" stride=");
        rt_put_u64(stride);
        rt_puts(" words=");
        rt_put_u64(words);
        rt_puts(" rate=");
        rt_put_u64(rate);
        rt_puts(" passes=");
        rt_put_u64(passes);
        rt_putc('\n');

        /* The clock is read once per batch of pages: each guest instruction costs about a
         * microsecond in KVM's emulator, so per-page clock reads would cap the rate. */
        uint64_t per_page = rate ? rt_udiv64(tsc_hz, (uint32_t)rate, NULL) : 0;
        uint64_t due = rt_rdtsc();
        report_due = due + tsc_hz;
        uint32_t done = 0, k = 0, pass = 0;
        for (;;) {
                uint64_t now = rt_rdtsc();
                maybe_report(now, pass, done);
                if (per_page) {
                        if ((int64_t)(now - due) < 0) {
                                rt_pause();
                                continue;
                        }
                        if ((int64_t)(now - due) > (int64_t)tsc_hz) /* over a second behind: no burst */
                                due = now;
                }
                for (uint32_t batch = 0; batch < 64; batch++) {
                        volatile uint32_t *p = page_ptr(k);
                        uint32_t v = hv_dirtier_page_seed(base_gfn + 1u + k * stride, pass);
                        for (uint32_t j = 0; j < words; j++, v += 0x01000193u)
                                p[j] = v;
                        status->done = ++done;
                        if (++k == pages) {
                                if (!tsc_hz)
                                        report_line(pass, done, false);
                                if (verify)
                                        verify_pass(pass);
                                k = 0;
                                if (++pass == passes)
                                        goto finished;
                                break;
                        }
                        due += per_page;
                        if (per_page && (int64_t)(now - due) < 0)
                                break;
                }
        }
finished:
        rt_puts("dirtier: done passes=");
        rt_put_u64(pass);
        rt_puts(" pages=");
        rt_put_u64(done);
        rt_putc('\n');
        rt_exit(code);
}
