/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libhvcore's public API: include this one header. */
#pragma once

#include <hvcore/host.h>
#include <hvcore/kvm-host.h>
#include <hvcore/vendor-abi.h>
#include <hvcore/vendor.h>
#include <hvcore/vm.h>

/* The library's version string ("0.1.0"). */
const char *hv_version(void);
