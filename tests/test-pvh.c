/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PVH loader: a good load of the hello guest (segments, start info, memory map, command
 * line, initrd module, dirty marking), ELF64, each refusal of a hostile file (built by mutating
 * the real guest ELF), and booting hello and the dirtier in a bare KVM VM. */
#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "dirtier-pattern.h"
#include "boot/elf-pvh.h"
#include "hv-test.h"
#include "host/host-internal.h"
#include "hvcore/kvm-host.h"
#include "macros.h"
#include "boot/pvh.h"

#define RAM_SIZE (64ULL << 20)
#define PAGE 4096ULL

/* Guest RAM with a dirty bitmap filled by mark_dirty. */
struct test_mem {
        struct hv_guest_memory mem;
        uint8_t *dirty; /* one byte per page */
        uint64_t dirty_calls;
};

static void test_mark_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
        struct test_mem *t = opaque;
        ck_assert_uint_le(gpa + len, t->mem.size);
        for (uint64_t p = gpa / PAGE; p < DIV_ROUND_UP(gpa + len, PAGE); p++)
                t->dirty[p] = 1;
        t->dirty_calls++;
}

static void test_mem_init(struct test_mem *t, uint64_t size, uint8_t fill)
{
        void *host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        ck_assert_ptr_ne(host, MAP_FAILED);
        memset(host, fill, size);
        *t = (struct test_mem){
                .mem = { .host = host, .size = size, .mark_dirty = test_mark_dirty, .opaque = t },
                .dirty = calloc(size / PAGE, 1),
        };
        ck_assert_ptr_nonnull(t->dirty);
}

static void test_mem_done(struct test_mem *t)
{
        munmap(t->mem.host, t->mem.size);
        free(t->dirty);
}

static uint8_t *file_slurp(const char *path, size_t *ret_len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(fstat(fd, &st), 0);
        uint8_t *buf = malloc((size_t)st.st_size);
        ck_assert_ptr_nonnull(buf);
        ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
        *ret_len = (size_t)st.st_size;
        return buf;
}

static char *file_temp(const void *data, size_t len)
{
        const char *dir = getenv("TMPDIR");
        char *path;
        ck_assert_int_ge(asprintf(&path, "%s/test-pvh.XXXXXX", dir && *dir ? dir : "/tmp"), 0);
        int fd = mkostemp(path, O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
        close(fd);
        return path;
}

/* hello.elf in memory, with the offsets the mutations need. */
struct elf32 {
        uint8_t *buf;
        size_t len;
        Elf32_Ehdr *eh;
        Elf32_Phdr *ph;
        int load0, load1, note; /* phdr indexes */
};

static void elf32_open(struct elf32 *e)
{
        e->buf = file_slurp(hv_test_guest_path("hello"), &e->len);
        ck_assert_uint_ge(e->len, sizeof(Elf32_Ehdr));
        e->eh = (Elf32_Ehdr *)e->buf;
        ck_assert_int_eq(e->eh->e_ident[EI_CLASS], ELFCLASS32);
        e->ph = (Elf32_Phdr *)(e->buf + e->eh->e_phoff);
        e->load0 = e->load1 = e->note = -1;
        for (int i = 0; i < e->eh->e_phnum; i++) {
                if (e->ph[i].p_type == PT_LOAD)
                        *(e->load0 < 0 ? &e->load0 : &e->load1) = i;
                else if (e->ph[i].p_type == PT_NOTE)
                        e->note = i;
        }
        /* the guest linker script makes code, data and note segments */
        ck_assert_int_ge(e->load0, 0);
        ck_assert_int_ge(e->load1, 0);
        ck_assert_int_ge(e->note, 0);
}

/* The Xen note's header words and descriptor inside the file. */
static uint32_t *elf32_note(struct elf32 *e)
{
        uint32_t *n = (uint32_t *)(e->buf + e->ph[e->note].p_offset);
        ck_assert_uint_eq(n[0], 4);
        ck_assert_uint_eq(n[2], 18);
        return n;
}

/* Loads buf as a kernel into fresh 64 MiB RAM; returns hv_pvh_load's result and message. */
static int load_buf(const void *buf, size_t len, char *err, size_t errlen)
{
        struct test_mem t;
        struct hv_pvh_boot boot;
        test_mem_init(&t, RAM_SIZE, 0);
        _cleanup_free_ char *path = file_temp(buf, len);
        int r = hv_pvh_load(&t.mem, path, NULL, "x=1", &boot, err, errlen);
        unlink(path);
        test_mem_done(&t);
        return r;
}

#define assert_refused(e, want_r, needle)                                                        \
        do {                                                                                     \
                char err_[512] = "";                                                             \
                int r_ = load_buf((e)->buf, (e)->len, err_, sizeof(err_));                       \
                ck_assert_msg(r_ == (want_r), "expected %d, got %d (%s)", (want_r), r_, err_);  \
                ck_assert_msg(strstr(err_, (needle)), "message \"%s\" lacks \"%s\"", err_, (needle)); \
        } while (0)

START_TEST(test_load_hello)
{
        struct elf32 e;
        struct test_mem t;
        struct hv_pvh_boot boot;
        char err[256];
        elf32_open(&e);
        test_mem_init(&t, RAM_SIZE, 0xaa);

        ck_assert_int_eq(hv_pvh_load(&t.mem, hv_test_guest_path("hello"), NULL, "exit=3 foo=bar", &boot, err, sizeof(err)), 0);

        /* entry from the note, which the guest sets to its ELF entry */
        ck_assert_uint_eq(boot.entry, elf32_note(&e)[4]);
        ck_assert_uint_eq(boot.entry, e.eh->e_entry);
        ck_assert_uint_eq(boot.start_info_gpa, HV_PVH_INFO_GPA);
        ck_assert_uint_eq(boot.initrd_gpa, 0);

        /* segments where the ELF says, tails zero-filled */
        uint64_t end = 0;
        for (int i = 0; i < e.eh->e_phnum; i++) {
                const Elf32_Phdr *p = &e.ph[i];
                if (p->p_type != PT_LOAD)
                        continue;
                ck_assert_int_eq(memcmp(t.mem.host + p->p_paddr, e.buf + p->p_offset, p->p_filesz), 0);
                for (uint32_t k = p->p_filesz; k < p->p_memsz; k++)
                        ck_assert_uint_eq(t.mem.host[p->p_paddr + k], 0);
                end = MAX(end, (uint64_t)p->p_paddr + p->p_memsz);
        }
        ck_assert_uint_eq(boot.kernel_end, ALIGN_UP(end, PAGE));

        /* start info */
        struct hv_pvh_start_info si;
        memcpy(&si, t.mem.host + boot.start_info_gpa, sizeof(si));
        ck_assert_uint_eq(si.magic, 0x336ec578);
        ck_assert_uint_eq(si.version, 1);
        ck_assert_uint_eq(si.nr_modules, 0);
        ck_assert_uint_eq(si.modlist_paddr, 0);
        ck_assert_uint_eq(si.rsdp_paddr, 0);
        ck_assert_uint_lt(si.cmdline_paddr, RAM_SIZE);
        ck_assert_str_eq((const char *)t.mem.host + si.cmdline_paddr, "exit=3 foo=bar");

        /* memory map: sorted, no overlap, covers all of RAM; RAM entries exclude the info
         * area; the RAM above 1 MiB reaches the end */
        ck_assert_uint_ge(si.memmap_entries, 2);
        ck_assert_uint_le(si.memmap_entries, 16);
        struct hv_pvh_memmap_entry map[16];
        memcpy(map, t.mem.host + si.memmap_paddr, si.memmap_entries * sizeof(map[0]));
        uint64_t at = 0, ram = 0;
        for (unsigned i = 0; i < si.memmap_entries; i++) {
                ck_assert_uint_eq(map[i].addr, at);
                ck_assert_uint_gt(map[i].size, 0);
                at += map[i].size;
                if (map[i].type == HV_PVH_MEMMAP_RAM) {
                        ram += map[i].size;
                        ck_assert(map[i].addr + map[i].size <= HV_PVH_INFO_GPA || map[i].addr >= HV_PVH_INFO_GPA + HV_PVH_INFO_SIZE);
                        ck_assert(si.cmdline_paddr < map[i].addr || si.cmdline_paddr >= map[i].addr + map[i].size);
                } else
                        ck_assert_uint_eq(map[i].type, HV_PVH_MEMMAP_RESERVED);
        }
        ck_assert_uint_eq(at, RAM_SIZE);
        ck_assert_uint_eq(map[si.memmap_entries - 1].type, HV_PVH_MEMMAP_RAM);
        ck_assert_uint_eq(map[si.memmap_entries - 1].addr, 1 << 20);
        ck_assert_uint_gt(ram, RAM_SIZE - (1 << 20));

        /* every byte the loader changed lies in a page it reported dirty */
        ck_assert_uint_gt(t.dirty_calls, 0);
        for (uint64_t a = 0; a < RAM_SIZE; a++)
                if (t.mem.host[a] != 0xaa && !t.dirty[a / PAGE])
                        ck_abort_msg("byte at %#llx changed but its page was not marked dirty", (unsigned long long)a);
        test_mem_done(&t);
        free(e.buf);
}
END_TEST

START_TEST(test_load_initrd)
{
        struct test_mem t;
        struct hv_pvh_boot boot;
        char err[256];
        size_t len = 3 * PAGE + 123;
        _cleanup_free_ uint8_t *data = malloc(len);
        for (size_t i = 0; i < len; i++)
                data[i] = (uint8_t)(i * 7 + 1);
        _cleanup_free_ char *path = file_temp(data, len);
        test_mem_init(&t, RAM_SIZE, 0x55);

        int r = hv_pvh_load(&t.mem, hv_test_guest_path("hello"), path, NULL, &boot, err, sizeof(err));
        unlink(path);
        ck_assert_msg(r == 0, "%s", err);
        struct hv_pvh_start_info si;
        struct hv_pvh_modlist_entry mod;
        memcpy(&si, t.mem.host + boot.start_info_gpa, sizeof(si));
        ck_assert_uint_eq(si.nr_modules, 1);
        ck_assert_uint_ne(si.modlist_paddr, 0);
        memcpy(&mod, t.mem.host + si.modlist_paddr, sizeof(mod));
        ck_assert_uint_eq(mod.size, len);
        ck_assert_uint_eq(mod.paddr % PAGE, 0);
        ck_assert_uint_ge(mod.paddr, boot.kernel_end);
        ck_assert_uint_le(mod.paddr + mod.size, RAM_SIZE);
        ck_assert_uint_gt(mod.paddr + mod.size, RAM_SIZE - PAGE); /* at the top */
        ck_assert_uint_eq(mod.paddr, boot.initrd_gpa);
        ck_assert_int_eq(memcmp(t.mem.host + mod.paddr, data, len), 0);
        for (uint64_t p = mod.paddr / PAGE; p < DIV_ROUND_UP(mod.paddr + len, PAGE); p++)
                ck_assert(t.dirty[p]);
        /* a NULL command line is an empty string */
        ck_assert_str_eq((const char *)t.mem.host + si.cmdline_paddr, "");
        test_mem_done(&t);
}
END_TEST

START_TEST(test_refuse_initrd_too_large)
{
        struct test_mem t;
        struct hv_pvh_boot boot;
        char err[256] = "";
        size_t len = RAM_SIZE - (1 << 20); /* more than fits above the kernel */
        _cleanup_free_ char *path = file_temp("", 0);
        ck_assert_int_eq(truncate(path, (off_t)len), 0);
        test_mem_init(&t, RAM_SIZE, 0);
        int r = hv_pvh_load(&t.mem, hv_test_guest_path("hello"), path, NULL, &boot, err, sizeof(err));
        unlink(path);
        ck_assert_int_eq(r, -E2BIG);
        ck_assert_msg(strstr(err, "initrd too large"), "%s", err);
        test_mem_done(&t);
}
END_TEST

START_TEST(test_cmdline_limit)
{
        struct test_mem t;
        struct hv_pvh_boot boot;
        char err[256] = "";
        _cleanup_free_ char *line = malloc(HV_PVH_CMDLINE_MAX + 2);
        memset(line, 'a', HV_PVH_CMDLINE_MAX + 1);
        line[HV_PVH_CMDLINE_MAX + 1] = 0;
        test_mem_init(&t, RAM_SIZE, 0);
        ck_assert_int_eq(hv_pvh_load(&t.mem, hv_test_guest_path("hello"), NULL, line, &boot, err, sizeof(err)), -E2BIG);
        ck_assert_msg(strstr(err, "command line too long"), "%s", err);
        /* the longest allowed one loads, whole */
        line[HV_PVH_CMDLINE_MAX] = 0;
        ck_assert_int_eq(hv_pvh_load(&t.mem, hv_test_guest_path("hello"), NULL, line, &boot, err, sizeof(err)), 0);
        struct hv_pvh_start_info si;
        memcpy(&si, t.mem.host + boot.start_info_gpa, sizeof(si));
        ck_assert_str_eq((const char *)t.mem.host + si.cmdline_paddr, line);
        test_mem_done(&t);
}
END_TEST

START_TEST(test_refuse_ram_size)
{
        uint8_t dummy[PAGE];
        struct hv_guest_memory big = { .host = dummy, .size = 4ULL << 30 }, small = { .host = dummy, .size = PAGE };
        struct hv_pvh_boot boot;
        char err[256] = "";
        ck_assert_int_eq(hv_pvh_load(&big, hv_test_guest_path("hello"), NULL, NULL, &boot, err, sizeof(err)), -EOPNOTSUPP);
        ck_assert_msg(strstr(err, "at most 3072 MiB"), "%s", err);
        ck_assert_int_eq(hv_pvh_load(&small, hv_test_guest_path("hello"), NULL, NULL, &boot, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "at least"), "%s", err);
}
END_TEST

START_TEST(test_refuse_missing_file)
{
        struct test_mem t;
        struct hv_pvh_boot boot;
        char err[256] = "";
        test_mem_init(&t, RAM_SIZE, 0);
        ck_assert_int_eq(hv_pvh_load(&t.mem, "/nonexistent/kernel.elf", NULL, NULL, &boot, err, sizeof(err)), -ENOENT);
        ck_assert_msg(strstr(err, "/nonexistent/kernel.elf"), "%s", err);
        ck_assert_int_eq(hv_pvh_load(&t.mem, "/", NULL, NULL, &boot, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
        test_mem_done(&t);
}
END_TEST

START_TEST(test_refuse_not_elf)
{
        static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
        struct elf32 e = { .buf = (uint8_t *)text, .len = sizeof(text) };
        assert_refused(&e, -ENOEXEC, "bad magic");
        assert_refused(&e, -ENOEXEC, "bzImage");
        e.len = 0;
        assert_refused(&e, -ENOEXEC, "not an ELF file");
}
END_TEST

START_TEST(test_refuse_bzimage)
{
        uint8_t image[0x1000] = { 0 };
        struct elf32 e = { .buf = image, .len = sizeof(image) };
        memcpy(image + 0x202, "HdrS", 4);
        assert_refused(&e, -ENOEXEC, "a bzImage (Linux boot protocol), which is not supported yet");
}
END_TEST

START_TEST(test_refuse_bad_magic)
{
        struct elf32 e;
        elf32_open(&e);
        e.buf[1] = 'X';
        assert_refused(&e, -ENOEXEC, "bad magic");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_bad_class)
{
        struct elf32 e;
        elf32_open(&e);
        e.buf[EI_CLASS] = 3;
        assert_refused(&e, -ENOEXEC, "ELF class");
        e.buf[EI_CLASS] = ELFCLASS32;
        e.buf[EI_DATA] = ELFDATA2MSB;
        assert_refused(&e, -ENOEXEC, "little-endian");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_truncated_header)
{
        struct elf32 e;
        elf32_open(&e);
        e.len = 40;
        assert_refused(&e, -ENOEXEC, "truncated ELF header");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_not_executable)
{
        struct elf32 e;
        elf32_open(&e);
        e.eh->e_type = ET_DYN;
        assert_refused(&e, -ENOEXEC, "not an executable");
        e.eh->e_type = ET_EXEC;
        e.eh->e_machine = EM_ARM;
        assert_refused(&e, -ENOEXEC, "not x86");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_phdrs_outside)
{
        struct elf32 e;
        elf32_open(&e);
        uint32_t phoff = e.eh->e_phoff;
        e.eh->e_phoff = (uint32_t)e.len - 10;
        assert_refused(&e, -ENOEXEC, "program header table");
        e.eh->e_phoff = 0xffffffe0; /* offset + size overflows 32 bits */
        assert_refused(&e, -ENOEXEC, "program header table");
        e.eh->e_phoff = phoff;
        e.eh->e_phentsize = 20;
        assert_refused(&e, -ENOEXEC, "program header size");
        e.eh->e_phentsize = sizeof(Elf32_Phdr);
        e.eh->e_phnum = 0;
        assert_refused(&e, -ENOEXEC, "no program headers");
        e.eh->e_phnum = 0xffff;
        assert_refused(&e, -ENOEXEC, "too many program headers");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_segment_beyond_file)
{
        struct elf32 e;
        elf32_open(&e);
        e.ph[e.load0].p_filesz = (uint32_t)e.len; /* offset + filesz > file */
        e.ph[e.load0].p_memsz = (uint32_t)e.len;
        assert_refused(&e, -ENOEXEC, "lies outside the file");
        free(e.buf);
        elf32_open(&e);
        e.ph[e.load0].p_offset = 0xfffff000; /* offset + filesz wraps */
        assert_refused(&e, -ENOEXEC, "lies outside the file");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_memsz_below_filesz)
{
        struct elf32 e;
        elf32_open(&e);
        e.ph[e.load0].p_memsz = e.ph[e.load0].p_filesz - 1;
        assert_refused(&e, -ENOEXEC, "smaller than file size");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_segment_outside_ram)
{
        struct elf32 e;
        elf32_open(&e);
        e.ph[e.load1].p_paddr = (uint32_t)RAM_SIZE - PAGE; /* bss runs past the end */
        assert_refused(&e, -ENOEXEC, "outside guest RAM");
        e.ph[e.load1].p_paddr = 0xfffff000;
        assert_refused(&e, -ENOEXEC, "outside guest RAM");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_segment_over_start_info)
{
        struct elf32 e;
        elf32_open(&e);
        e.ph[e.load1].p_paddr = HV_PVH_INFO_GPA - PAGE; /* data + bss span the info area */
        assert_refused(&e, -ENOEXEC, "boot information area");
        e.ph[e.load1].p_paddr = 0xa0000; /* the legacy window */
        assert_refused(&e, -ENOEXEC, "reserved low memory");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_missing_note)
{
        struct elf32 e;
        elf32_open(&e);
        elf32_note(&e)[2] = 17; /* another Xen note type: the PT_NOTE and SHT_NOTE share the bytes */
        assert_refused(&e, -ENOEXEC, "no Xen PHYS32_ENTRY note");
        free(e.buf);
        elf32_open(&e);
        memcpy(elf32_note(&e) + 3, "Xyz", 4); /* another owner */
        assert_refused(&e, -ENOEXEC, "no Xen PHYS32_ENTRY note");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_malformed_note)
{
        struct elf32 e;
        elf32_open(&e);
        elf32_note(&e)[1] = 2; /* descsz neither 4 nor 8 (still inside the segment) */
        assert_refused(&e, -ENOEXEC, "descriptor is 2 bytes");
        free(e.buf);
        elf32_open(&e);
        elf32_note(&e)[0] = 0x7ffffff0; /* name runs past the segment */
        assert_refused(&e, -ENOEXEC, "runs past its end");
        free(e.buf);
        elf32_open(&e);
        e.ph[e.note].p_filesz = 8; /* header cut short */
        assert_refused(&e, -ENOEXEC, "header truncated");
        free(e.buf);
        elf32_open(&e);
        e.ph[e.note].p_offset = (uint32_t)e.len - 4;
        assert_refused(&e, -ENOEXEC, "note segment");
        free(e.buf);
}
END_TEST

/* Without the PT_NOTE the entry comes from the SHT_NOTE section; a broken section table is
 * then named. */
START_TEST(test_note_in_section_only)
{
        struct elf32 e;
        char err[256] = "";
        elf32_open(&e);
        e.ph[e.note].p_type = PT_NULL;
        ck_assert_msg(load_buf(e.buf, e.len, err, sizeof(err)) == 0, "%s", err);
        e.eh->e_shoff = (uint32_t)e.len - 8;
        assert_refused(&e, -ENOEXEC, "section header table");
        free(e.buf);
        elf32_open(&e);
        e.ph[e.note].p_type = PT_NULL;
        e.eh->e_shoff = 0;
        assert_refused(&e, -ENOEXEC, "no Xen PHYS32_ENTRY note");
        free(e.buf);
}
END_TEST

START_TEST(test_refuse_entry_outside_segment)
{
        struct elf32 e;
        elf32_open(&e);
        elf32_note(&e)[4] = 0x800000;
        assert_refused(&e, -ENOEXEC, "not inside a loaded segment");
        /* inside the bss (memsz) is not loaded code either */
        elf32_note(&e)[4] = e.ph[e.load1].p_paddr + e.ph[e.load1].p_memsz - 4;
        assert_refused(&e, -ENOEXEC, "not inside a loaded segment");
        free(e.buf);
}
END_TEST

/* hello.elf rewritten as ELF64: 64-bit headers, the data at a new offset, and a PT_NOTE with
 * an 8-byte descriptor as 64-bit Linux kernels carry. */
static uint8_t *elf64_from_hello(size_t *ret_len, Elf64_Phdr **ret_ph, int *ret_phnum)
{
        struct elf32 e;
        elf32_open(&e);
        const size_t data_off = 0x1000, note_off = data_off + ALIGN_UP(e.len, 8);
        const size_t len = note_off + 24;
        uint8_t *out = calloc(1, len);
        ck_assert_ptr_nonnull(out);
        Elf64_Ehdr *eh = (Elf64_Ehdr *)out;
        memcpy(eh->e_ident, e.eh->e_ident, EI_NIDENT);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_type = ET_EXEC;
        eh->e_machine = EM_X86_64;
        eh->e_version = EV_CURRENT;
        eh->e_entry = 0xffffffff80000000ULL; /* ignored: PVH enters at the note */
        eh->e_phoff = sizeof(*eh);
        eh->e_ehsize = sizeof(*eh);
        eh->e_phentsize = sizeof(Elf64_Phdr);
        Elf64_Phdr *ph = (Elf64_Phdr *)(out + eh->e_phoff);
        int n = 0;
        for (int i = 0; i < e.eh->e_phnum; i++) {
                if (e.ph[i].p_type != PT_LOAD)
                        continue;
                ph[n++] = (Elf64_Phdr){
                        .p_type = PT_LOAD, .p_flags = e.ph[i].p_flags, .p_offset = data_off + e.ph[i].p_offset,
                        .p_vaddr = 0xffffffff80000000ULL + e.ph[i].p_vaddr, .p_paddr = e.ph[i].p_paddr,
                        .p_filesz = e.ph[i].p_filesz, .p_memsz = e.ph[i].p_memsz, .p_align = e.ph[i].p_align,
                };
        }
        ph[n++] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = 24, .p_align = 4 };
        eh->e_phnum = (Elf64_Half)n;
        ck_assert_uint_le(eh->e_phoff + n * sizeof(Elf64_Phdr), data_off);
        memcpy(out + data_off, e.buf, e.len);
        const uint32_t hdr[3] = { 4, 8, 18 };
        const uint64_t entry = e.eh->e_entry;
        memcpy(out + note_off, hdr, sizeof(hdr));
        memcpy(out + note_off + 12, "Xen", 4);
        memcpy(out + note_off + 16, &entry, 8);
        free(e.buf);
        *ret_len = len;
        *ret_ph = ph;
        *ret_phnum = n;
        return out;
}

START_TEST(test_load_elf64)
{
        size_t len;
        Elf64_Phdr *ph;
        int phnum;
        _cleanup_free_ uint8_t *buf = elf64_from_hello(&len, &ph, &phnum);
        _cleanup_free_ char *path = file_temp(buf, len);
        struct test_mem t;
        struct hv_pvh_boot boot;
        char err[256] = "";
        test_mem_init(&t, RAM_SIZE, 0);
        int r = hv_pvh_load(&t.mem, path, NULL, NULL, &boot, err, sizeof(err));
        ck_assert_msg(r == 0, "%s", err);
        ck_assert_uint_eq(boot.entry, 0x100000);
        for (int i = 0; i < phnum; i++)
                if (ph[i].p_type == PT_LOAD)
                        ck_assert_int_eq(memcmp(t.mem.host + ph[i].p_paddr, buf + ph[i].p_offset, ph[i].p_filesz), 0);

        /* address + size overflowing 64 bits */
        ph[0].p_paddr = 0xfffffffffffff000ULL;
        ph[0].p_memsz = 0x2000;
        struct elf32 e = { .buf = buf, .len = len };
        assert_refused(&e, -ENOEXEC, "overflows");
        /* an entry above 4 GiB in the 8-byte descriptor */
        free(buf);
        buf = elf64_from_hello(&len, &ph, &phnum);
        uint64_t high = 0x100000000ULL;
        memcpy(buf + ph[phnum - 1].p_offset + 16, &high, 8);
        e = (struct elf32){ .buf = buf, .len = len };
        assert_refused(&e, -ENOEXEC, "above 4 GiB");
        unlink(path);
        test_mem_done(&t);
}
END_TEST

/* Random damage to the headers and the note of real ELF32 and ELF64 files, and random
 * truncation: the parser never reads outside the buffer (ASan runs this too) and whatever it
 * accepts keeps its promises. */
static uint32_t fuzz_next(uint32_t *state)
{
        *state ^= *state << 13;
        *state ^= *state >> 17;
        *state ^= *state << 5;
        return *state;
}

static void fuzz_one(const uint8_t *orig, size_t len, size_t note_off, uint32_t *rng, unsigned *accepted)
{
        _cleanup_free_ uint8_t *buf = malloc(len);
        memcpy(buf, orig, len);
        size_t n = len;
        unsigned flips = 1 + fuzz_next(rng) % 4;
        for (unsigned i = 0; i < flips; i++) {
                uint32_t x = fuzz_next(rng);
                size_t at = (x & 1) ? x % MIN(len, (size_t)256) : note_off + (x >> 1) % 24;
                buf[at] = (x >> 8) & 1 ? (uint8_t)(x >> 16) : buf[at] ^ (uint8_t)(1u << ((x >> 16) % 8));
        }
        if (fuzz_next(rng) % 8 == 0)
                n = fuzz_next(rng) % len;
        /* an exact-size copy, so ASan sees any read past the end */
        _cleanup_free_ uint8_t *exact = malloc(n ? n : 1);
        memcpy(exact, buf, n);
        struct hv_elf_pvh *img = NULL;
        char err[256] = "";
        int r = hv_elf_pvh_parse(exact, n, &img, err, sizeof(err));
        ck_assert_msg(r == 0 || r == -ENOEXEC, "unexpected %d", r);
        if (r < 0) {
                ck_assert_msg(err[0], "refusal without a message");
                return;
        }
        (*accepted)++;
        bool entry_in = false;
        for (size_t i = 0; i < img->n_segments; i++) {
                const struct hv_elf_segment *s = &img->segments[i];
                ck_assert_uint_le(s->offset, n);
                ck_assert_uint_le(s->filesz, n - s->offset);
                ck_assert_uint_ge(s->memsz, s->filesz);
                ck_assert_uint_ge(s->paddr + s->memsz, s->paddr);
                entry_in |= img->entry >= s->paddr && img->entry - s->paddr < s->filesz;
        }
        ck_assert(entry_in);
        free(img);
}

START_TEST(test_parse_fuzz)
{
        struct elf32 e;
        size_t len64;
        Elf64_Phdr *ph;
        int phnum;
        uint32_t rng = 0x2545f491;
        unsigned accepted = 0;
        elf32_open(&e);
        _cleanup_free_ uint8_t *buf64 = elf64_from_hello(&len64, &ph, &phnum);
        size_t note32 = e.ph[e.note].p_offset, note64 = ph[phnum - 1].p_offset;
        for (int i = 0; i < 4000; i++) {
                fuzz_one(e.buf, e.len, note32, &rng, &accepted);
                fuzz_one(buf64, len64, note64, &rng, &accepted);
        }
        /* harmless damage (padding, flags, vaddr) still loads: the fuzzer reaches both paths */
        ck_assert_uint_gt(accepted, 100);
        ck_assert_uint_lt(accepted, 7000);
        free(e.buf);
}
END_TEST

/* A bare KVM VM (no hvd VM core): RAM at 0, one vCPU set up by hv_pvh_setup_vcpu, COM1 output
 * collected, LSR always "THR empty", the debug-exit port ending the run. */
struct bare_run {
        char out[8192];
        size_t out_len;
        uint32_t exit_code;
};

/* on_line (may be NULL) sees each complete output line while the vCPU is stopped; returning
 * true ends the run there. */
typedef bool (*bare_line_fn)(struct test_mem *t, const char *line);

static void bare_boot_hook(const char *guest, const char *cmdline, struct test_mem *t, struct bare_run *run,
                           bare_line_fn on_line)
{
        _cleanup_close_ int kvm = hv_kvm_open();
        ck_assert_int_ge(kvm, 0);
        _cleanup_close_ int vm = ioctl(kvm, KVM_CREATE_VM, 0);
        ck_assert_int_ge(vm, 0);
        test_mem_init(t, RAM_SIZE, 0);
        struct kvm_userspace_memory_region region = {
                .slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)t->mem.host };
        ck_assert_int_eq(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), 0);
        _cleanup_close_ int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
        ck_assert_int_ge(vcpu, 0);
        int map_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        ck_assert_int_gt(map_size, 0);
        struct kvm_run *kr = mmap(NULL, (size_t)map_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
        ck_assert_ptr_ne(kr, MAP_FAILED);

        /* "@TSC_KHZ@" in the cmdline becomes the vCPU's TSC frequency in kHz (for tsc_khz=) */
        int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
        ck_assert_int_gt(khz, 0);
        char line[512];
        const char *at = strstr(cmdline, "@TSC_KHZ@");
        if (at)
                snprintf(line, sizeof(line), "%.*s%d%s", (int)(at - cmdline), cmdline, khz, at + 9);
        else
                snprintf(line, sizeof(line), "%s", cmdline);
        struct hv_pvh_boot boot;
        char err[256] = "";
        int r = hv_pvh_load(&t->mem, hv_test_guest_path(guest), NULL, line, &boot, err, sizeof(err));
        ck_assert_msg(r == 0, "%s", err);
        ck_assert_int_eq(hv_pvh_setup_vcpu(vcpu, &boot), 0);

        memset(run, 0, sizeof(*run));
        for (int exits = 0;; exits++) {
                ck_assert_msg(exits < 10000000, "guest did not exit");
                if (ioctl(vcpu, KVM_RUN, 0) < 0) {
                        ck_assert_int_eq(errno, EINTR);
                        continue;
                }
                ck_assert_msg(kr->exit_reason == KVM_EXIT_IO, "unexpected exit reason %u after output \"%.*s\"",
                              kr->exit_reason, (int)run->out_len, run->out);
                uint8_t *data = (uint8_t *)kr + kr->io.data_offset;
                if (kr->io.port == 0x3f8 + 5 && kr->io.direction == KVM_EXIT_IO_IN)
                        data[0] = 0x60; /* THR and transmitter empty, nothing received */
                else if (kr->io.port == 0x3f8 && kr->io.direction == KVM_EXIT_IO_OUT) {
                        ck_assert_uint_lt(run->out_len, sizeof(run->out) - 1);
                        run->out[run->out_len++] = (char)data[0];
                        if (on_line && data[0] == '\n') {
                                run->out[run->out_len] = 0;
                                char *prev = memrchr(run->out, '\n', run->out_len - 1);
                                if (on_line(t, prev ? prev + 1 : run->out))
                                        break;
                        }
                } else if (kr->io.port == 0xf4 && kr->io.direction == KVM_EXIT_IO_OUT) {
                        ck_assert_uint_eq(kr->io.size, 4);
                        memcpy(&run->exit_code, data, 4);
                        break;
                } else
                        ck_abort_msg("unexpected I/O port %#x", kr->io.port);
        }
        munmap(kr, (size_t)map_size);
}

static void bare_boot(const char *guest, const char *cmdline, struct test_mem *t, struct bare_run *run)
{
        bare_boot_hook(guest, cmdline, t, run, NULL);
}

START_TEST(test_boot_hello)
{
        struct test_mem t;
        struct bare_run run;
        bare_boot("hello", "exit=7 foo=bar", &t, &run);
        ck_assert_msg(strncmp(run.out, "hello from hvd test guest\n", 26) == 0, "output: %s", run.out);
        ck_assert_msg(strstr(run.out, "hello: cmdline \"exit=7 foo=bar\"\n"), "output: %s", run.out);
        /* the guest read the memory map the loader wrote */
        char ram_line[64];
        snprintf(ram_line, sizeof(ram_line), "hello: ram %llu bytes", (unsigned long long)(RAM_SIZE - HV_PVH_INFO_SIZE - 0x60000));
        ck_assert_msg(strstr(run.out, ram_line), "no \"%s\" in output: %s", ram_line, run.out);
        ck_assert_uint_eq(run.exit_code, 7);
        test_mem_done(&t);
}
END_TEST

/* The dirtier checks its own pages, and the host recomputes them with dirtier-pattern.h. */
START_TEST(test_boot_dirtier_pattern)
{
        struct test_mem t;
        struct bare_run run;
        bare_boot("dirtier", "pages=16 stride=3 words=8 passes=2 verify=1 base_mib=4", &t, &run);
        ck_assert_msg(strstr(run.out, "VERIFY pass=1 ok\n"), "output: %s", run.out);
        ck_assert_msg(strstr(run.out, "dirtier: done passes=2 pages=32\n"), "output: %s", run.out);
        ck_assert_uint_eq(run.exit_code, 0);

        struct hv_dirtier_status st;
        memcpy(&st, t.mem.host + (4 << 20), sizeof(st));
        ck_assert_uint_eq(st.magic, HV_DIRTIER_STATUS_MAGIC);
        ck_assert_uint_eq(st.base_gfn, (4 << 20) / PAGE);
        ck_assert_uint_eq(st.pages, 16);
        ck_assert_uint_eq(st.stride, 3);
        ck_assert_uint_eq(st.words, 8);
        ck_assert_uint_eq(st.done, 32);
        ck_assert_uint_eq(st.verified, 2);
        ck_assert_uint_eq(st.errors, 0);
        uint32_t last_pass = st.done / st.pages - 1;
        for (uint32_t k = 0; k < st.pages; k++) {
                uint32_t gfn = hv_dirtier_gfn(&st, k);
                const uint32_t *w = (const uint32_t *)(t.mem.host + (uint64_t)gfn * PAGE);
                for (uint32_t j = 0; j < 1024; j++)
                        ck_assert_uint_eq(w[j], j < st.words ? hv_dirtier_word(gfn, last_pass, j) : 0);
                /* pages between pattern pages (stride 3) are untouched */
                ck_assert_uint_eq(t.mem.host[(uint64_t)(gfn + 1) * PAGE], 0);
        }
        /* the pattern tells passes and pages apart */
        ck_assert_uint_ne(hv_dirtier_word(1000, 0, 0), hv_dirtier_word(1000, 1, 0));
        ck_assert_uint_ne(hv_dirtier_word(1000, 0, 5), hv_dirtier_word(1001, 0, 5));
        test_mem_done(&t);
}
END_TEST

/* Without tsc_khz= the dirtier reports at the end of each pass, before verifying it: the host
 * flips one word of pattern page 3 right then, and the guest's verification must catch it. */
static bool corrupt_after_pass0(struct test_mem *t, const char *line)
{
        if (strncmp(line, "DIRTY pass=0 ", 13) != 0)
                return false;
        uint64_t gpa = (4ULL << 20) + (1 + 3) * PAGE + 2 * 4; /* page k = 3, word 2 */
        t->mem.host[gpa] ^= 0x40;
        return false;
}

START_TEST(test_boot_dirtier_verify_catches_corruption)
{
        struct test_mem t;
        struct bare_run run;
        bare_boot_hook("dirtier", "pages=8 words=4 passes=3 verify=1 base_mib=4", &t, &run, corrupt_after_pass0);
        char want[96];
        snprintf(want, sizeof(want), "VERIFY pass=0 FAIL gfn=%#llx word=2 ", (unsigned long long)((4ULL << 20) / PAGE + 1 + 3));
        ck_assert_msg(strstr(run.out, want), "no \"%s\" in output: %s", want, run.out);
        ck_assert_uint_eq(run.exit_code, 1);
        struct hv_dirtier_status st;
        memcpy(&st, t.mem.host + (4 << 20), sizeof(st));
        ck_assert_uint_eq(st.errors, 1);
        ck_assert_uint_eq(st.verified, 0);
        test_mem_done(&t);
}
END_TEST

/* Stopped in the middle of a pass (at its once-a-second report), the dirtier's memory matches
 * what hv_dirtier_page_check derives from the status block, and a flipped word does not. */
static bool check_mid_pass(struct test_mem *t, const char *line)
{
        if (strncmp(line, "DIRTY seq=1 ", 12) != 0)
                return false;
        struct hv_dirtier_status st;
        memcpy(&st, t->mem.host + (4 << 20), sizeof(st));
        ck_assert_uint_eq(st.magic, HV_DIRTIER_STATUS_MAGIC);
        ck_assert_uint_gt(st.done, 0);
        for (uint32_t k = 0; k < st.pages; k++) {
                uint32_t *page = (uint32_t *)(t->mem.host + (uint64_t)hv_dirtier_gfn(&st, k) * PAGE);
                ck_assert_msg(hv_dirtier_page_check(&st, k, page) == 0, "page %u wrong (done=%u)", k, st.done);
        }
        /* a page already written in this pass, and one not yet */
        uint32_t next = st.done % st.pages;
        for (uint32_t k = 0; k < st.pages; k++) {
                if (k != next - 1 && !(k == st.pages - 1 && next < k))
                        continue;
                uint32_t *page = (uint32_t *)(t->mem.host + (uint64_t)hv_dirtier_gfn(&st, k) * PAGE);
                page[3] ^= 1;
                ck_assert_uint_eq(hv_dirtier_page_check(&st, k, page), 4);
                page[3] ^= 1;
        }
        return true;
}

START_TEST(test_boot_dirtier_checker_mid_pass)
{
        struct test_mem t;
        struct bare_run run;
        /* 700 pages/s over 1000 pages: the first report comes in pass 0 or early in pass 1 */
        bare_boot_hook("dirtier", "pages=1000 words=8 rate=700 tsc_khz=@TSC_KHZ@ base_mib=4", &t, &run, check_mid_pass);
        ck_assert_msg(strstr(run.out, "DIRTY seq=1 "), "output: %s", run.out);
        test_mem_done(&t);
}
END_TEST

/* A guest that rejects its parameters says so and exits with 2. */
START_TEST(test_boot_dirtier_bad_params)
{
        struct test_mem t;
        struct bare_run run;
        bare_boot("dirtier", "pages=100000000", &t, &run);
        ck_assert_msg(strstr(run.out, "dirtier: error: "), "output: %s", run.out);
        ck_assert_uint_eq(run.exit_code, 2);
        test_mem_done(&t);
}
END_TEST

static Suite *pvh_suite(void)
{
        Suite *s = suite_create("pvh");
        struct {
                const char *name;
                const TTest *fn;
        } tests[] = {
                { "load_hello", test_load_hello },
                { "load_initrd", test_load_initrd },
                { "load_elf64", test_load_elf64 },
                { "cmdline_limit", test_cmdline_limit },
                { "refuse_initrd_too_large", test_refuse_initrd_too_large },
                { "refuse_ram_size", test_refuse_ram_size },
                { "refuse_missing_file", test_refuse_missing_file },
                { "refuse_not_elf", test_refuse_not_elf },
                { "refuse_bzimage", test_refuse_bzimage },
                { "refuse_bad_magic", test_refuse_bad_magic },
                { "refuse_bad_class", test_refuse_bad_class },
                { "refuse_truncated_header", test_refuse_truncated_header },
                { "refuse_not_executable", test_refuse_not_executable },
                { "refuse_phdrs_outside", test_refuse_phdrs_outside },
                { "refuse_segment_beyond_file", test_refuse_segment_beyond_file },
                { "refuse_memsz_below_filesz", test_refuse_memsz_below_filesz },
                { "refuse_segment_outside_ram", test_refuse_segment_outside_ram },
                { "refuse_segment_over_start_info", test_refuse_segment_over_start_info },
                { "refuse_missing_note", test_refuse_missing_note },
                { "refuse_malformed_note", test_refuse_malformed_note },
                { "note_in_section_only", test_note_in_section_only },
                { "refuse_entry_outside_segment", test_refuse_entry_outside_segment },
                { "parse_fuzz", test_parse_fuzz },
                { "boot_hello", test_boot_hello },
                { "boot_dirtier_pattern", test_boot_dirtier_pattern },
                { "boot_dirtier_verify_catches_corruption", test_boot_dirtier_verify_catches_corruption },
                { "boot_dirtier_checker_mid_pass", test_boot_dirtier_checker_mid_pass },
                { "boot_dirtier_bad_params", test_boot_dirtier_bad_params },
        };
        for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
                /* the boot_ tests run the guest on a bare KVM vCPU */
                bool kvm = strncmp(tests[i].name, "boot_", 5) == 0;
                TCase *tc = kvm ? hv_test_tcase_kvm(tests[i].name) : tcase_create(tests[i].name);
                tcase_add_test(tc, tests[i].fn);
                suite_add_tcase(s, tc);
        }
        return s;
}

int main(void)
{
        return hv_test_run_suite(pvh_suite());
}
