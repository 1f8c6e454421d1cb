/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/tdxhost.h
 * @brief Umbrella header: includes every public libtdxhost header.
 */
#ifndef TDXHOST_TDXHOST_H
#define TDXHOST_TDXHOST_H

#include "common.h"
#include "version.h"
#include "recipe.h"
#include "emit.h"
#include "fetch.h"
#include "deb.h"
#include "lock.h"
#include "quote.h"
#include "measure.h"
#include "pe.h"
#include "eventlog.h"
#include "agent.h"
#include "sim.h"
#include "secrets.h"
#include "staging.h"
#include "build.h"
#include "cloud.h"
#include "vm.h"

#endif
