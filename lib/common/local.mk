# lib/common: header-only helpers shared by every binary, not installed
noinst_HEADERS += lib/common/macros.h lib/common/string-table.h
