#!/bin/sh
set -eu
echo hardened
