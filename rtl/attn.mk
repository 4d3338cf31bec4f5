# %D%/attn.mk — the attn's RTL (rtl/attn*.sv), its Verilated builds and lock-step tests
# (tests/rtl/attn_lockstep*). Included by the top Makefile.am after rtl/local.mk.
