/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "boot/elf-pvh.h"
#include "macros.h"
#include "boot/pvh.h"

#define PAGE_SIZE 4096ULL
#define LOW_RAM_END 0xa0000ULL
#define HIGH_RAM_START 0x100000ULL

/* Inside the info window: start info, module list, memory map, command line. */
#define INFO_MODLIST_OFF 0x40
#define INFO_MEMMAP_OFF 0x80
#define INFO_MEMMAP_MAX 8
#define INFO_CMDLINE_OFF 0x1000
_Static_assert(INFO_MEMMAP_OFF + INFO_MEMMAP_MAX * sizeof(struct hv_pvh_memmap_entry) <= INFO_CMDLINE_OFF, "info layout");
_Static_assert(INFO_CMDLINE_OFF + HV_PVH_CMDLINE_MAX + 1 <= HV_PVH_INFO_SIZE, "info layout");

_printf_(4, 5) static int fail(int r, char *errbuf, size_t errlen, const char *fmt, ...)
{
        if (errbuf && errlen) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(errbuf, errlen, fmt, ap);
                va_end(ap);
        }
        return r;
}

static void guest_write(const struct hv_guest_memory *mem, uint64_t gpa, const void *src, uint64_t len)
{
        if (src)
                memcpy(mem->host + gpa, src, len);
        else
                memset(mem->host + gpa, 0, len);
        if (mem->mark_dirty && len)
                mem->mark_dirty(mem->opaque, gpa, len);
}

/* The memory map the guest sees; returns its number of entries. */
static unsigned memmap_build(uint64_t ram_size, struct hv_pvh_memmap_entry map[static INFO_MEMMAP_MAX])
{
        const struct hv_pvh_memmap_entry m[] = {
                { .addr = 0, .size = HV_PVH_INFO_GPA, .type = HV_PVH_MEMMAP_RAM },
                { .addr = HV_PVH_INFO_GPA, .size = HV_PVH_INFO_SIZE, .type = HV_PVH_MEMMAP_RESERVED },
                { .addr = HV_PVH_INFO_GPA + HV_PVH_INFO_SIZE, .size = LOW_RAM_END - HV_PVH_INFO_GPA - HV_PVH_INFO_SIZE,
                  .type = HV_PVH_MEMMAP_RAM },
                { .addr = LOW_RAM_END, .size = HIGH_RAM_START - LOW_RAM_END, .type = HV_PVH_MEMMAP_RESERVED },
                { .addr = HIGH_RAM_START, .size = ram_size - HIGH_RAM_START, .type = HV_PVH_MEMMAP_RAM },
        };
        memcpy(map, m, sizeof(m));
        return ARRAY_SIZE(m);
}

/* Reads a whole regular file (open as fd, named path in messages) of at most max bytes,
 * from offset 0 whatever the fd's offset: a reset reads the same fd again. */
static int file_read_all(int fd, const char *path, uint64_t max, uint8_t **ret_buf, size_t *ret_len, char *errbuf, size_t errlen)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return fail(-errno, errbuf, errlen, "%s: cannot stat: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(-EINVAL, errbuf, errlen, "%s: not a regular file", path);
        if ((uint64_t)st.st_size > max)
                return fail(-EFBIG, errbuf, errlen, "%s: file too large (%lld bytes, at most %llu)", path,
                            (long long)st.st_size, (unsigned long long)max);
        size_t len = (size_t)st.st_size;
        _cleanup_free_ uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
                return fail(-ENOMEM, errbuf, errlen, "%s: out of memory", path);
        size_t got = 0;
        while (got < len) {
                ssize_t k = pread(fd, buf + got, len - got, (off_t)got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return fail(-errno, errbuf, errlen, "%s: read failed: %s", path, strerror(errno));
                if (k == 0)
                        return fail(-EIO, errbuf, errlen, "%s: file shrank while being read", path);
                got += (size_t)k;
        }
        *ret_buf = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Reads exactly len bytes of fd into guest RAM at gpa. */
static int initrd_read(const struct hv_guest_memory *mem, int fd, uint64_t gpa, uint64_t len, const char *path,
                       char *errbuf, size_t errlen)
{
        uint64_t got = 0;
        while (got < len) {
                size_t chunk = (size_t)MIN(len - got, (uint64_t)1 << 30);
                ssize_t k = pread(fd, mem->host + gpa + got, chunk, (off_t)got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return fail(-errno, errbuf, errlen, "%s: read failed: %s", path, strerror(errno));
                if (k == 0)
                        return fail(-EIO, errbuf, errlen, "%s: file shrank while being read", path);
                got += (uint64_t)k;
        }
        if (mem->mark_dirty)
                mem->mark_dirty(mem->opaque, gpa, len);
        return 0;
}

int hv_pvh_load(const struct hv_guest_memory *mem, const char *kernel_path, const char *initrd_path,
                const char *cmdline, struct hv_pvh_boot *ret_boot, char *errbuf, size_t errlen)
{
        _cleanup_close_ int kernel_fd = -EBADF, initrd_fd = -EBADF;

        if (errbuf && errlen)
                errbuf[0] = 0;
        if (kernel_path) {
                kernel_fd = open(kernel_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (kernel_fd < 0)
                        return fail(-errno, errbuf, errlen, "%s: cannot open: %s", kernel_path, strerror(errno));
        }
        if (initrd_path) {
                initrd_fd = open(initrd_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (initrd_fd < 0)
                        return fail(-errno, errbuf, errlen, "%s: cannot open: %s", initrd_path, strerror(errno));
        }
        return hv_pvh_load_fd(mem, kernel_fd, kernel_path, initrd_fd, initrd_path, cmdline, ret_boot, errbuf, errlen);
}

int hv_pvh_load_fd(const struct hv_guest_memory *mem, int kernel_fd, const char *kernel_path, int initrd_fd,
                   const char *initrd_path, const char *cmdline, struct hv_pvh_boot *ret_boot, char *errbuf, size_t errlen)
{
        if (errbuf && errlen)
                errbuf[0] = 0;
        if (!mem || !mem->host || kernel_fd < 0 || !kernel_path || !ret_boot)
                return fail(-EINVAL, errbuf, errlen, "PVH loader called without memory, kernel or result");
        if (mem->size < HV_PVH_RAM_MIN || mem->size % PAGE_SIZE)
                return fail(-EINVAL, errbuf, errlen, "guest RAM of %llu bytes: the PVH loader needs at least %llu bytes, in whole pages",
                            (unsigned long long)mem->size, (unsigned long long)HV_PVH_RAM_MIN);
        if (mem->size > HV_PVH_RAM_MAX)
                return fail(-EOPNOTSUPP, errbuf, errlen,
                            "guest RAM of %llu MiB: the PVH loader supports at most %llu MiB (RAM above the 4 GiB hole is not supported yet)",
                            (unsigned long long)(mem->size >> 20), (unsigned long long)(HV_PVH_RAM_MAX >> 20));
        if (!cmdline)
                cmdline = "";
        size_t cmdline_len = strlen(cmdline);
        if (cmdline_len > HV_PVH_CMDLINE_MAX)
                return fail(-E2BIG, errbuf, errlen, "kernel command line too long (%zu bytes, at most %u)", cmdline_len,
                            HV_PVH_CMDLINE_MAX);

        _cleanup_free_ uint8_t *file = NULL;
        size_t file_len = 0;
        int r = file_read_all(kernel_fd, kernel_path, HV_PVH_KERNEL_FILE_MAX, &file, &file_len, errbuf, errlen);
        if (r < 0)
                return r;

        _cleanup_free_ struct hv_elf_pvh *img = NULL;
        char why[256];
        r = hv_elf_pvh_parse(file, file_len, &img, why, sizeof(why));
        if (r < 0)
                return fail(r, errbuf, errlen, "%s: %s", kernel_path, r == -ENOMEM ? "out of memory" : why);

        struct hv_pvh_memmap_entry map[INFO_MEMMAP_MAX];
        unsigned n_map = memmap_build(mem->size, map);

        /* Every segment must lie inside one RAM range of the memory map. */
        uint64_t kernel_end = 0;
        for (size_t i = 0; i < img->n_segments; i++) {
                const struct hv_elf_segment *s = &img->segments[i];
                uint64_t end = s->paddr + s->memsz; /* no overflow: checked by the parser */
                bool inside = false;
                if (end > mem->size)
                        return fail(-ENOEXEC, errbuf, errlen, "%s: segment at [%#llx, %#llx) lies outside guest RAM (%llu bytes)",
                                    kernel_path, (unsigned long long)s->paddr, (unsigned long long)end,
                                    (unsigned long long)mem->size);
                for (unsigned j = 0; j < n_map; j++)
                        if (map[j].type == HV_PVH_MEMMAP_RAM && s->paddr >= map[j].addr &&
                            end <= map[j].addr + map[j].size)
                                inside = true;
                if (!inside)
                        return fail(-ENOEXEC, errbuf, errlen,
                                    "%s: segment at [%#llx, %#llx) overlaps reserved low memory (the boot information area at [%#x, %#x) or the legacy window at [%#llx, %#llx))",
                                    kernel_path, (unsigned long long)s->paddr, (unsigned long long)end, HV_PVH_INFO_GPA,
                                    HV_PVH_INFO_GPA + HV_PVH_INFO_SIZE, LOW_RAM_END, HIGH_RAM_START);
                kernel_end = MAX(kernel_end, ALIGN_UP(end, PAGE_SIZE));
        }

        /* The initrd goes page-aligned at the top of RAM, above the kernel. */
        uint64_t initrd_gpa = 0, initrd_size = 0;
        if (initrd_fd >= 0) {
                struct stat st;
                if (fstat(initrd_fd, &st) < 0)
                        return fail(-errno, errbuf, errlen, "%s: cannot stat: %s", initrd_path, strerror(errno));
                if (!S_ISREG(st.st_mode))
                        return fail(-EINVAL, errbuf, errlen, "%s: not a regular file", initrd_path);
                if (st.st_size == 0)
                        return fail(-EINVAL, errbuf, errlen, "%s: initrd is empty", initrd_path);
                uint64_t low = MAX(kernel_end, HIGH_RAM_START);
                initrd_size = (uint64_t)st.st_size;
                if (initrd_size > mem->size - low ||
                    (initrd_gpa = (mem->size - initrd_size) & ~(PAGE_SIZE - 1)) < low)
                        return fail(-E2BIG, errbuf, errlen,
                                    "%s: initrd too large (%llu bytes; %llu bytes of guest RAM are free above the kernel)",
                                    initrd_path, (unsigned long long)initrd_size, (unsigned long long)(mem->size - low));
        }

        /* Checks done: write the guest's memory. */
        for (size_t i = 0; i < img->n_segments; i++) {
                const struct hv_elf_segment *s = &img->segments[i];
                guest_write(mem, s->paddr, file + s->offset, s->filesz);
                guest_write(mem, s->paddr + s->filesz, NULL, s->memsz - s->filesz);
        }
        if (initrd_fd >= 0) {
                r = initrd_read(mem, initrd_fd, initrd_gpa, initrd_size, initrd_path, errbuf, errlen);
                if (r < 0)
                        return r;
        }

        uint8_t info[HV_PVH_INFO_SIZE] = { 0 };
        struct hv_pvh_start_info si = {
                .magic = HV_PVH_START_MAGIC,
                .version = HV_PVH_START_VERSION,
                .cmdline_paddr = HV_PVH_INFO_GPA + INFO_CMDLINE_OFF,
                .memmap_paddr = HV_PVH_INFO_GPA + INFO_MEMMAP_OFF,
                .memmap_entries = n_map,
        };
        if (initrd_fd >= 0) {
                struct hv_pvh_modlist_entry mod = { .paddr = initrd_gpa, .size = initrd_size };
                si.nr_modules = 1;
                si.modlist_paddr = HV_PVH_INFO_GPA + INFO_MODLIST_OFF;
                memcpy(info + INFO_MODLIST_OFF, &mod, sizeof(mod));
        }
        memcpy(info, &si, sizeof(si));
        memcpy(info + INFO_MEMMAP_OFF, map, n_map * sizeof(map[0]));
        memcpy(info + INFO_CMDLINE_OFF, cmdline, cmdline_len + 1);
        guest_write(mem, HV_PVH_INFO_GPA, info, sizeof(info));

        *ret_boot = (struct hv_pvh_boot){
                .entry = img->entry,
                .start_info_gpa = HV_PVH_INFO_GPA,
                .kernel_end = kernel_end,
                .initrd_gpa = initrd_gpa,
                .initrd_size = initrd_size,
        };
        return 0;
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
        return (struct kvm_segment){
                .base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
                .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
        };
}

int hv_pvh_setup_vcpu(int vcpu_fd, const struct hv_pvh_boot *boot)
{
        struct kvm_sregs sregs;
        struct kvm_regs regs = { 0 };

        if (vcpu_fd < 0 || !boot)
                return -EINVAL;
        if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
                return negative_errno();
        /* Selectors as a GDT with null, code (0x8) and data (0x10) descriptors would give;
         * the PVH guest loads its own GDT before it reloads any of them. */
        sregs.cs = flat_segment(0x8, 0xb);  /* execute/read, accessed */
        sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x10, 0x3); /* read/write, accessed */
        sregs.cr0 = 0x11; /* PE | ET */
        sregs.cr3 = 0;
        sregs.cr4 = 0;
        sregs.efer = 0;
        if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
                return negative_errno();

        regs.rip = boot->entry;
        regs.rbx = boot->start_info_gpa;
        regs.rflags = 0x2;
        if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
                return negative_errno();
        return 0;
}
