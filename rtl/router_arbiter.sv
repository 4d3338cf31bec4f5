// router_arbiter — the round-robin switch allocator of one router output (doc/architecture.md
// section 3, "Arbitration"; doc/rtl.md "router_arbiter"). The C model is rr_pick() and rr_q[o]
// in sim/router.c.
//
// The pointer rr_q names the input with the highest priority, one-hot. In cycle x the grant is
// the first requesting input at or after the pointer, cyclically over the five inputs: the
// requests at or above the pointer are tried first (a one-hot pointer and a masked request
// vector, no modulo arithmetic: yosys turns this into a few dozen gates). When the router says
// the grant was a head flit (advance_i), the pointer moves to the input after the winner at the
// end of x. Reset: the local port (input 0) has the highest priority.
//
// A compile-time mutation for the lock-step test's self-check (SPK_MUTANT_RR_STUCK): the
// pointer never advances. tests/rtl/ builds it and requires the checker to catch it.
module router_arbiter (
  input  logic       clk_i,      // the chip clock
  input  logic       rst_ni,     // asynchronous reset, active low
  input  logic [4:0] req_i,      // bit p: input p requests this output in this cycle (the
                                 // router has already masked requests for an output without credit)
  input  logic       advance_i,  // the granted flit is a head flit: move the pointer past it
  output logic [4:0] gnt_o       // one-hot: the input granted in this cycle, or zero
);

  logic [4:0] rr_q, rr_d;
  logic [4:0] req_hi;

  always_comb begin
    // requests at or after the pointer: mask off the inputs below it
    req_hi = req_i & ~(rr_q - 5'd1);
    if (req_hi != 5'd0) begin
      gnt_o = req_hi & (~req_hi + 5'd1);
    end else begin
      gnt_o = req_i & (~req_i + 5'd1);
    end
  end

  always_comb begin
    rr_d = rr_q;
`ifndef SPK_MUTANT_RR_STUCK
    if (advance_i && gnt_o != 5'd0) begin
      rr_d = {gnt_o[3:0], gnt_o[4]};
    end
`endif
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rr_q <= 5'b00001;
    end else begin
      rr_q <= rr_d;
    end
  end

`ifndef SYNTHESIS
  assert property (@(posedge clk_i) disable iff (!rst_ni) $onehot(rr_q))
    else $error("router_arbiter: pointer not one-hot");
`endif

endmodule
