/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hvcore-locking(7) and the validator's table are one source of truth: this test reads the
 * man page's summary table and its card per lock (Type, KVM name, Taken outside, Nesting) and
 * fails on any difference with hv_lock_hierarchy. */
#include <string.h>

#include "hv-test.h"
#include "lock/lock-hierarchy.h"
#include "macros.h"

struct card {
        bool seen, in_summary;
        char type[32], kvm_name[64], summary_type[32], summary_kvm[64];
        uint32_t outside;
        int nest_under;
        bool has_outside;
};

static struct card cards[_HV_LOCK_CLASS_MAX];

/* roff to text for the little this page uses: \- is '-', \e is '\', quotes around .SS args */
static void unroff(char *s)
{
        char *w = s;
        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] == '-') {
                        *w++ = '-';
                        r++;
                } else if (r[0] == '\\' && r[1] == 'e') {
                        *w++ = '\\';
                        r++;
                } else if (*r != '"' && *r != '\n')
                        *w++ = *r;
        }
        *w = 0;
}

/* "a, b, c" or "nothing (leaf)" into a set of classes; fails the test on an unknown name. */
static uint32_t parse_class_list(char *v, const char *card_name)
{
        if (strcmp(v, "nothing (leaf)") == 0)
                return 0;
        uint32_t set = 0;
        for (char *save = NULL, *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ')
                        tok++;
                enum hv_lock_class c = hv_lock_class_from_string(tok);
                ck_assert_msg(c >= 0, "man page card %s names an unknown lock \"%s\"", card_name, tok);
                set |= HV_LOCK_BIT(c);
        }
        return set;
}

static void copy(char *dst, size_t n, const char *src)
{
        ck_assert_msg(strlen(src) < n, "value too long: %s", src);
        strcpy(dst, src);
}

static void parse_man_page(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        ck_assert_msg(f, "cannot open %s: %s", path, strerror(errno));
        memset(cards, 0, sizeof(cards));
        char line[1024], field[64] = "";
        bool in_locks = false, in_tbl = false, tbl_header = true;
        int current = -1;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, ".SH ", 4) == 0) {
                        unroff(line);
                        in_locks = strcmp(line + 4, "LOCKS") == 0;
                        current = -1;
                        continue;
                }
                if (!in_locks)
                        continue;
                if (strncmp(line, ".TS", 3) == 0) {
                        in_tbl = true;
                        tbl_header = true;
                        continue;
                }
                if (strncmp(line, ".TE", 3) == 0) {
                        in_tbl = false;
                        continue;
                }
                if (in_tbl) {
                        /* format line, header row and rule first; then name, KVM name, type, protects */
                        if (strchr(line, '\t') == NULL || strncmp(line, "hvd lock\t", 9) == 0) {
                                tbl_header = false;
                                continue;
                        }
                        if (tbl_header)
                                continue;
                        unroff(line);
                        char *save = NULL, *name = strtok_r(line, "\t", &save), *kvm = strtok_r(NULL, "\t", &save),
                             *type = strtok_r(NULL, "\t", &save);
                        ck_assert_msg(name && kvm && type, "short row in the summary table");
                        enum hv_lock_class c = hv_lock_class_from_string(name);
                        ck_assert_msg(c >= 0, "summary table names an unknown lock \"%s\"", name);
                        ck_assert_msg(!cards[c].in_summary, "%s twice in the summary table", name);
                        cards[c].in_summary = true;
                        copy(cards[c].summary_kvm, sizeof(cards[c].summary_kvm), kvm);
                        copy(cards[c].summary_type, sizeof(cards[c].summary_type), type);
                        continue;
                }
                if (strncmp(line, ".SS ", 4) == 0) {
                        unroff(line);
                        current = hv_lock_class_from_string(line + 4);
                        ck_assert_msg(current >= 0, "man page has a card for an unknown lock \"%s\"", line + 4);
                        ck_assert_msg(!cards[current].seen, "two cards for %s", line + 4);
                        cards[current].seen = true;
                        cards[current].nest_under = -1;
                        field[0] = 0;
                        continue;
                }
                if (current < 0)
                        continue;
                if (strncmp(line, ".B ", 3) == 0) {
                        unroff(line);
                        copy(field, sizeof(field), line + 3);
                        continue;
                }
                if (line[0] == '.' || field[0] == 0)
                        continue;
                unroff(line);
                struct card *cd = &cards[current];
                const char *name = hv_lock_class_to_string(current);
                if (strcmp(field, "Type") == 0)
                        copy(cd->type, sizeof(cd->type), line);
                else if (strcmp(field, "KVM name") == 0)
                        copy(cd->kvm_name, sizeof(cd->kvm_name), line);
                else if (strcmp(field, "Taken outside") == 0) {
                        cd->outside = parse_class_list(line, name);
                        cd->has_outside = true;
                } else if (strcmp(field, "Nesting") == 0) {
                        ck_assert_msg(strncmp(line, "under ", 6) == 0, "card %s: Nesting is \"under <lock>\"", name);
                        cd->nest_under = hv_lock_class_from_string(line + 6);
                        ck_assert_msg(cd->nest_under >= 0, "card %s: unknown lock in Nesting", name);
                }
                field[0] = 0; /* one value line per field */
        }
}

static char *names(uint32_t set)
{
        static char buf[512];
        buf[0] = 0;
        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++)
                if (set & HV_LOCK_BIT(c)) {
                        if (buf[0])
                                strcat(buf, ", ");
                        strcat(buf, hv_lock_class_to_string(c));
                }
        return buf[0] ? buf : "nothing (leaf)";
}

START_TEST(test_man_page_matches_table)
{
        const char *top = getenv("HVD_TOP_SRCDIR");
        char path[4096];
        snprintf(path, sizeof(path), "%s/man/hvcore-locking.7", top && *top ? top : ".");
        parse_man_page(path);

        for (int c = 0; c < _HV_LOCK_CLASS_MAX; c++) {
                const struct hv_lock_class_info *t = &hv_lock_hierarchy[c];
                const struct card *cd = &cards[c];
                ck_assert_msg(cd->seen, "hvcore-locking(7) has no card for %s", t->name);
                ck_assert_msg(cd->in_summary, "hvcore-locking(7)'s summary table lacks %s", t->name);
                ck_assert_msg(strcmp(cd->type, hv_lock_type_to_string(t->type)) == 0,
                              "%s: the man page says type \"%s\", the validator %s", t->name, cd->type,
                              hv_lock_type_to_string(t->type));
                ck_assert_msg(strcmp(cd->summary_type, cd->type) == 0, "%s: summary type \"%s\", card \"%s\"",
                              t->name, cd->summary_type, cd->type);
                ck_assert_msg(strcmp(cd->kvm_name, t->kvm_name) == 0 && strcmp(cd->summary_kvm, t->kvm_name) == 0,
                              "%s: KVM name \"%s\"/\"%s\" in the man page, \"%s\" in the validator", t->name,
                              cd->kvm_name, cd->summary_kvm, t->kvm_name);
                ck_assert_msg(cd->has_outside, "%s: card without \"Taken outside\"", t->name);
                char doc[512];
                snprintf(doc, sizeof(doc), "%s", names(cd->outside));
                ck_assert_msg(cd->outside == t->inside,
                              "%s: the man page says it is taken outside {%s}, the validator {%s}", t->name, doc,
                              names(t->inside));
                ck_assert_msg(cd->nest_under == t->nest_under, "%s: nesting in the man page %d, validator %d",
                              t->name, cd->nest_under, t->nest_under);
        }
}
END_TEST

/* The parser is what makes the test above meaningful: it must see a wrong card. */
START_TEST(test_parser_sees_a_difference)
{
        char tmpl[] = "/tmp/hv-man-XXXXXX";
        int fd = mkstemp(tmpl);
        ck_assert_int_ge(fd, 0);
        FILE *f = fdopen(fd, "w");
        ck_assert_ptr_nonnull(f);
        fputs(".SH LOCKS\n.SS vm\\->lock\n.TP\n.B Type\nrwlock\n.TP\n.B Taken outside\nvcpu\\->mutex\n", f);
        fclose(f);
        parse_man_page(tmpl);
        unlink(tmpl);
        ck_assert(cards[HV_LOCK_VM].seen);
        ck_assert_str_eq(cards[HV_LOCK_VM].type, "rwlock");
        ck_assert_uint_eq(cards[HV_LOCK_VM].outside, HV_LOCK_BIT(HV_LOCK_VCPU));
        ck_assert_uint_ne(cards[HV_LOCK_VM].outside, hv_lock_hierarchy[HV_LOCK_VM].inside);
        ck_assert(!cards[HV_LOCK_VCPU].seen);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("lock-manpage");
        TCase *tc = tcase_create("manpage");
        tcase_add_test(tc, test_man_page_matches_table);
        tcase_add_test(tc, test_parser_sees_a_difference);
        suite_add_tcase(s, tc);
        return hv_test_run_suite(s);
}
