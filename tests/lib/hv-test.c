/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "hv-test.h"
#include "macros.h"

#define KVM_TAG "kvm"

bool hv_test_kvm_usable(const char **why)
{
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                if (why)
                        *why = strerror(errno);
                return false;
        }
        close(fd);
        return true;
}

void hv_test_require_kvm(void)
{
        const char *why;
        if (!hv_test_kvm_usable(&why)) {
                printf("SKIP: this test needs /dev/kvm, which cannot be opened: %s\n", why);
                exit(77);
        }
}

/* The tags of test cases that need something a run may lack, the cases so tagged, and
 * whether the program said it is missing (and why). */
static struct need {
        const char *tag;
        char names[512]; /* the test cases, for the SKIP line */
        int tcases;
        const char *missing; /* NULL while available */
} needs[4];

static struct need *need_get(const char *tag)
{
        for (size_t i = 0; i < ARRAY_SIZE(needs); i++) {
                if (needs[i].tag && strcmp(needs[i].tag, tag) == 0)
                        return &needs[i];
                if (!needs[i].tag) {
                        needs[i].tag = tag;
                        return &needs[i];
                }
        }
        fprintf(stderr, "hv-test: too many test-case tags\n");
        abort();
}

TCase *hv_test_tcase_needing(const char *name, const char *tag)
{
        struct need *n = need_get(tag);
        TCase *tc = tcase_create(name);
        size_t len = strlen(n->names);
        snprintf(n->names + len, sizeof(n->names) - len, "%s%s", len ? ", " : "", name);
        n->tcases++;
        tcase_set_tags(tc, tag);
        return tc;
}

void hv_test_need_missing(const char *tag, const char *why)
{
        need_get(tag)->missing = why;
}

TCase *hv_test_tcase_kvm(const char *name)
{
        return hv_test_tcase_needing(name, KVM_TAG);
}

static const char *env_or(const char *name, const char *fallback)
{
        const char *v = getenv(name);
        return v && *v ? v : fallback;
}

const char *hv_test_guest_path(const char *name)
{
        static char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s.elf", env_or("HVD_GUEST_DIR", "tests/guests"), name);
        ck_assert_msg(stat(path, &st) == 0, "test guest %s is missing (%s)", path, strerror(errno));
        return path;
}

const char *hv_test_plugin_dir(void)
{
        return env_or("HVD_PLUGIN_DIR", "plugins");
}

int hv_test_run_child(void (*fn)(void *arg), void *arg, int *ret_status, char **ret_stderr)
{
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                dup2(pipefd[1], STDERR_FILENO);
                /* abort() must not be turned into something else by the test runner */
                signal(SIGABRT, SIG_DFL);
                fn(arg);
                _exit(0);
        }
        close(pipefd[1]);
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1024 > cap) {
                        char *n = realloc(buf, cap * 2);
                        if (!n)
                                break;
                        buf = n;
                        cap *= 2;
                }
                ssize_t k = read(pipefd[0], buf + len, cap - len - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t)k;
        }
        buf[len] = 0;
        close(pipefd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        free(buf);
                        return -errno;
                }
        *ret_status = status;
        if (ret_stderr)
                *ret_stderr = buf;
        else
                free(buf);
        return 0;
}

int hv_test_run_suite(Suite *s)
{
        const char *why = NULL;
        static char kvm_why[256];
        if (!hv_test_kvm_usable(&why)) {
                snprintf(kvm_why, sizeof(kvm_why), "need /dev/kvm, which cannot be opened here (%s)", why);
                hv_test_need_missing(KVM_TAG, kvm_why);
        }
        char exclude[256] = "";
        int left_out = 0;
        for (size_t i = 0; i < ARRAY_SIZE(needs) && needs[i].tag; i++)
                if (needs[i].missing && needs[i].tcases > 0) {
                        size_t len = strlen(exclude);
                        snprintf(exclude + len, sizeof(exclude) - len, "%s%s", len ? " " : "", needs[i].tag);
                        left_out += needs[i].tcases;
                }
        SRunner *sr = srunner_create(s);
        srunner_run_tagged(sr, NULL, NULL, NULL, *exclude ? exclude : NULL, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        if (failed)
                return EXIT_FAILURE;
        if (!left_out)
                return EXIT_SUCCESS;
        for (size_t i = 0; i < ARRAY_SIZE(needs) && needs[i].tag; i++)
                if (needs[i].missing && needs[i].tcases > 0)
                        printf("SKIP: %d test case(s) %s (left out: %s); the others passed\n", needs[i].tcases,
                               needs[i].missing, needs[i].names);
        return 77;
}
