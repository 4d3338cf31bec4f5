// sram_1p — a single-port memory shaped like an SRAM macro: the wrapper every large memory of a
// unit sits behind (the synapse core's synapse and neuron memories), so that a foundry macro can
// replace this behavioural body without touching the unit.
//
// One port, one access per cycle: with req_i high in cycle x, a write (we_i) stores wdata_i at
// addr_i at the end of x; a read puts the word at addr_i on rdata_o from x + 1 until the next
// read (a registered read, as macros have). A read and a write never happen in the same cycle.
// Nothing is reset: a macro's contents are undefined at power-up and the units load what they
// read (the load ports of doc/rtl.md).
//
// Exception to the lowRISC rule that always_ff holds only reset and q <= d: a memory array is
// written in place, as in lowRISC's own prim_ram_1p.
module sram_1p #(
  parameter int unsigned Words = 256,  // words
  parameter int unsigned Bits  = 32    // bits per word
) (
  input  logic                               clk_i,    // the chip clock
  input  logic                               req_i,    // an access in this cycle
  input  logic                               we_i,     // the access is a write
  input  logic [$clog2(Words > 1 ? Words : 2)-1:0] addr_i,  // the word
  input  logic [Bits-1:0]                    wdata_i,  // the data written
  output logic [Bits-1:0]                    rdata_o   // the word read in the previous access cycle
);

  logic [Bits-1:0] mem_q [Words];
  logic [Bits-1:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (req_i) begin
      if (we_i) begin
        mem_q[addr_i] <= wdata_i;
      end else begin
        rdata_q <= mem_q[addr_i];
      end
    end
  end

  assign rdata_o = rdata_q;

endmodule
