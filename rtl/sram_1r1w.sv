// sram_1r1w — a two-port memory shaped like an SRAM macro with one read and one write port (a
// "1R1W" register-file or dual-port macro): the wrapper of the synapse core's neuron memory
// (rtl/core.sv, its membranes), so that a foundry macro can replace this behavioural body
// without touching the core.
//
// With re_i high in cycle x, the word at raddr_i is on rdata_o from x + 1 until the next read (a
// registered read, as macros have); with we_i high, wdata_i is stored at waddr_i at the end of
// x. A read of the word written in the same cycle gives the old word (read before write, the
// usual macro behaviour): a user that needs the new one forwards it itself. Nothing is reset:
// a macro's contents are undefined at power-up, and the core never reads a membrane it has not
// written since the image began.
//
// Exception to the lowRISC rule that always_ff holds only reset and q <= d: a memory array is
// written in place, as in lowRISC's own prim_ram_1r1w.
module sram_1r1w #(
  parameter int unsigned Words = 256,  // words
  parameter int unsigned Bits  = 32    // bits per word
) (
  input  logic                                     clk_i,    // the chip clock
  input  logic                                     re_i,     // a read in this cycle
  input  logic [$clog2(Words > 1 ? Words : 2)-1:0] raddr_i,  // the word read
  output logic [Bits-1:0]                          rdata_o,  // the word of the previous read
  input  logic                                     we_i,     // a write in this cycle
  input  logic [$clog2(Words > 1 ? Words : 2)-1:0] waddr_i,  // the word written
  input  logic [Bits-1:0]                          wdata_i   // the data written
);

  logic [Bits-1:0] mem_q [Words];
  logic [Bits-1:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
    if (re_i) begin
      rdata_q <= mem_q[raddr_i];
    end
  end

  assign rdata_o = rdata_q;

endmodule
