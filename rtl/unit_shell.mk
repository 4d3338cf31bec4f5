# %D%/unit_shell.mk — what the four units share in RTL (rtl/unit_shell.sv: input FIFO, releases,
# the send path to the NI; rtl/sram_1p.sv: the single-port memory wrapper), and its tests.
RTL_SHELL_SV = %D%/unit_shell.sv %D%/sram_1p.sv
dist_rtl_DATA += $(RTL_SHELL_SV)
