/*
 * troupe/troupe.h: the umbrella header of libtroupe. Include this, or the headers of
 * just the layers you use.
 */
#ifndef TROUPE_TROUPE_H
#define TROUPE_TROUPE_H

#include "troupe/common.h"
#include "troupe/error.h"
#include "troupe/log.h"
#include "troupe/base.h"
#include "troupe/codec.h"
#include "troupe/wasm.h"
#include "troupe/wasi.h"
#include "troupe/actor.h"
#include "troupe/supervisor.h"
#include "troupe/broker.h"

#endif
