# SPDX-License-Identifier: GPL-2.0-or-later
# ring/: the Xen 9pfs byte rings over plain memory (no Xen library calls).
noinst_LIBRARIES += ring/libring.a
ring_libring_a_SOURCES = ring/ring.c ring/ring.h
