/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a plugin reads about the host: /proc/cpuinfo flags and the KVM module in sysfs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"

bool plugin_vendor_in_list(const char *vendor, const char *list)
{
        if (!vendor || !list)
                return false;
        size_t n = strnlen(vendor, 12);
        if (n == 0)
                return false;
        for (const char *p = list; *p;) {
                while (*p == ' ')
                        p++;
                size_t w = strcspn(p, " ");
                if (w == n && memcmp(p, vendor, n) == 0)
                        return true;
                p += w;
        }
        return false;
}

int plugin_cpuinfo_has_flag(FILE *cpuinfo, const char *flag)
{
        if (!cpuinfo || !flag || !flag[0])
                return -EINVAL;
        size_t flen = strlen(flag);
        char *line = NULL;
        size_t cap = 0;
        int r = -ENOENT;
        while (getline(&line, &cap, cpuinfo) >= 0) {
                /* "flags\t\t: fpu vme ..." (x86); the key is the text before the colon. */
                char *colon = strchr(line, ':');
                if (!colon)
                        continue;
                size_t klen = strcspn(line, " \t:");
                if (klen != 5 || strncmp(line, "flags", 5) != 0)
                        continue;
                r = 0;
                for (char *p = colon + 1; *p;) {
                        p += strspn(p, " \t\n");
                        size_t w = strcspn(p, " \t\n");
                        if (w == flen && memcmp(p, flag, flen) == 0) {
                                r = 1;
                                break;
                        }
                        p += w;
                }
                break;
        }
        free(line);
        return r;
}

static bool dir_exists(const char *dir, const char *name)
{
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return false;
        return access(path, F_OK) == 0;
}

int plugin_kvm_module_detect(const char *modules_dir, char *buf, size_t len)
{
        static const char *const known[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
        if (!modules_dir || !buf || len == 0)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (dir_exists(modules_dir, known[i])) {
                        snprintf(buf, len, "%s", known[i]);
                        return 0;
                }
        /* Another vendor module: the first kvm_* in name order, so the answer is stable. */
        DIR *d = opendir(modules_dir);
        if (!d)
                return -errno;
        char best[NAME_MAX + 1] = "";
        struct dirent *de;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, "kvm_", 4) == 0 && de->d_name[4] &&
                    (!best[0] || strcmp(de->d_name, best) < 0))
                        snprintf(best, sizeof(best), "%s", de->d_name);
        closedir(d);
        if (!best[0])
                return -ENOENT;
        snprintf(buf, len, "%s", best);
        return 0;
}

int plugin_module_param(const char *modules_dir, const char *module, const char *param, char *buf,
                        size_t len)
{
        if (!modules_dir || !module || !param || !buf || len == 0)
                return -EINVAL;
        if (strchr(module, '/') || strchr(param, '/'))
                return -EINVAL;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s/parameters/%s", modules_dir, module, param) >= sizeof(path))
                return -ENAMETOOLONG;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, len - 1);
        int saved = errno;
        close(fd);
        if (n < 0)
                return -saved;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

bool plugin_param_is_on(const char *value)
{
        if (!value || !value[0])
                return false;
        if (strcmp(value, "Y") == 0 || strcmp(value, "y") == 0)
                return true;
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        return errno == 0 && end != value && *end == 0 && v != 0;
}

void plugin_probe(const struct plugin_desc *d, const char *modules_dir, FILE *cpuinfo,
                  struct plugin_host_info *ret_info)
{
        struct plugin_host_info info = { .kvm_module = "unknown" };
        (void)plugin_kvm_module_detect(modules_dir, info.kvm_module, sizeof(info.kvm_module));
        info.cpu_flag = cpuinfo && plugin_cpuinfo_has_flag(cpuinfo, d->cpu_flag) > 0;
        char v[64];
        info.nested = plugin_module_param(modules_dir, info.kvm_module, "nested", v, sizeof(v)) == 0 &&
                      plugin_param_is_on(v);
        *ret_info = info;
}
