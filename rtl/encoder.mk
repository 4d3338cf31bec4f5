# %D%/encoder.mk — the encoder's RTL (rtl/encoder*.sv), its Verilated builds and lock-step tests
# (tests/rtl/encoder_lockstep*). Included by the top Makefile.am after rtl/local.mk.
