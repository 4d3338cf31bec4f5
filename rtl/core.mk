# %D%/core.mk — the core's RTL (rtl/core*.sv), its Verilated builds and lock-step tests
# (tests/rtl/core_lockstep*). Included by the top Makefile.am after rtl/local.mk.
