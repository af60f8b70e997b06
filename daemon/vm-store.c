/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "vm-def.h"
#include "vm-store.h"

#define TEMP_SUFFIX ".json.XXXXXX"

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

int vm_store_write(int dir_fd, const char *name, const char *text)
{
        char tmp[VM_NAME_MAX + 32], final[VM_NAME_MAX + 8];
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!vm_name_is_valid(name))
                return -EINVAL;
        snprintf(final, sizeof(final), "%s.json", name);
        /* temp names start with '.', which no VM name does: they never clash with a definition */
        for (int attempt = 0;; attempt++) {
                static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
                unsigned char bytes[6];
                char rnd[7];
                if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
                        return -EIO;
                for (int i = 0; i < 6; i++)
                        rnd[i] = chars[bytes[i] % (sizeof(chars) - 1)];
                rnd[6] = 0;
                snprintf(tmp, sizeof(tmp), ".%s.json.%s", name, rnd);
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt > 100)
                        return -errno;
        }
        r = write_all(fd, text, strlen(text));
        if (r >= 0)
                r = write_all(fd, "\n", 1);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, final) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(dir_fd, tmp, 0);
                return r;
        }
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}

int vm_store_remove(int dir_fd, const char *name)
{
        char final[VM_NAME_MAX + 8];

        if (!vm_name_is_valid(name))
                return -EINVAL;
        snprintf(final, sizeof(final), "%s.json", name);
        if (unlinkat(dir_fd, final, 0) < 0)
                return -errno;
        if (fsync(dir_fd) < 0)
                return -errno;
        return 0;
}

static bool is_temp_name(const char *n)
{
        size_t len = strlen(n), sl = strlen(TEMP_SUFFIX);

        return n[0] == '.' && len > sl + 1 && strncmp(n + len - sl, ".json.", 6) == 0;
}

static int open_dir(int dir_fd, DIR **ret)
{
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret = d;
        return 0;
}

int vm_store_clean_temps(int dir_fd)
{
        struct dirent *de;
        DIR *d;
        int n = 0, r;

        r = open_dir(dir_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d)))
                if (is_temp_name(de->d_name) && unlinkat(dir_fd, de->d_name, 0) >= 0)
                        n++;
        closedir(d);
        if (n > 0 && fsync(dir_fd) < 0)
                return -errno;
        return n;
}

static int read_file(int dir_fd, const char *fname, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = openat(dir_fd, fname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if (st.st_size > VM_DEF_JSON_MAX + 1)
                return -E2BIG;
        buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

int vm_store_load(int dir_fd, vm_store_load_fn fn, void *userdata)
{
        struct dirent *de;
        DIR *d;
        int r;

        r = open_dir(dir_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                char name[VM_NAME_MAX + 1];
                size_t len = strlen(de->d_name);
                _cleanup_free_ char *text = NULL;
                size_t tlen = 0;

                if (len <= 5 || len - 5 > VM_NAME_MAX || strcmp(de->d_name + len - 5, ".json") != 0)
                        continue;
                memcpy(name, de->d_name, len - 5);
                name[len - 5] = 0;
                if (!vm_name_is_valid(name))
                        continue;
                r = read_file(dir_fd, de->d_name, &text, &tlen);
                fn(name, r < 0 ? NULL : text, tlen, r < 0 ? r : 0, userdata);
        }
        closedir(d);
        return 0;
}
