# %D%/readout.mk — the readout's RTL (rtl/readout*.sv), its Verilated builds and lock-step tests
# (tests/rtl/readout_lockstep*). Included by the top Makefile.am after rtl/local.mk.
