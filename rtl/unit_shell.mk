# %D%/unit_shell.mk — what the four units share in RTL (rtl/unit_shell.sv: input FIFO, releases,
# the send path to the NI; rtl/sram_1p.sv: the single-port memory wrapper), and its tests.
