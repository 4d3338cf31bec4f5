// router_buffer — one input buffer of the router (doc/architecture.md section 3, "State":
// buf_q[p]; doc/rtl.md "router_buffer"). The C model is the slot ring of sim/router.h.
//
// A FIFO of BufferFlits flits. Each slot remembers how many more cycles its flit must wait
// before it may leave: a flit written at the end of cycle x (it was on the input link in x) is
// ready from cycle x + RouterStages, so it is written with wait = RouterStages - 1 and every
// slot counts down once per cycle. This is the C model's `ready = x + P` as a down-counter: the
// RTL needs no absolute cycle number.
//
// Cycle contract: in cycle x the head flit and its readiness are outputs of registered state
// only; pop_i (the router granted the head flit in x) and wr_i (a flit on the link in x) take
// effect at the end of x. A pop and a write may happen in the same cycle. The sender holds a
// credit for every write, so the buffer never overflows (asserted).
module router_buffer (
  input  logic                                  clk_i,        // the chip clock
  input  logic                                  rst_ni,       // asynchronous reset, active low
  input  logic                                  wr_i,         // a flit arrives on the link in this cycle
  input  logic [spk_noc_pkg::LinkBits-1:0]      wr_flit_i,    // that flit (valid with wr_i)
  input  logic                                  pop_i,        // the head flit leaves in this cycle
  output logic [spk_noc_pkg::LinkBits-1:0]      head_flit_o,  // the oldest flit (valid when count_o != 0)
  output logic                                  head_ready_o, // non-empty and the head flit may leave
  output logic [spk_noc_pkg::CountBits-1:0]     count_o       // flits held
);

  localparam int unsigned B = spk_noc_pkg::BufferFlits;
  localparam int unsigned PtrBits = spk_noc_pkg::PtrBits;
  localparam int unsigned WaitBits = spk_noc_pkg::WaitBits;
  localparam int unsigned CountBits = spk_noc_pkg::CountBits;
  localparam logic [WaitBits-1:0] WaitStart = WaitBits'(spk_noc_pkg::RouterStages - 1);
  localparam logic [PtrBits-1:0] LastSlot = PtrBits'(B - 1);

  logic [spk_noc_pkg::LinkBits-1:0] slot_q [B];
  logic [spk_noc_pkg::LinkBits-1:0] slot_d [B];
  logic [WaitBits-1:0]              wait_q [B];
  logic [WaitBits-1:0]              wait_d [B];
  logic [PtrBits-1:0]               head_q, head_d;
  logic [CountBits-1:0]             count_q, count_d;
  logic [PtrBits-1:0]               tail;

  // next slot index, wrapping at B (B need not be a power of two)
  function automatic logic [PtrBits-1:0] next_ptr(input logic [PtrBits-1:0] ptr);
    next_ptr = (ptr == LastSlot) ? '0 : ptr + PtrBits'(1);
  endfunction

  // The free slot after the last flit: head + count (mod B). A pop in the same cycle moves the
  // head one on and the count one down, which leaves this index unchanged.
  always_comb begin
    logic [PtrBits:0] sum;
    sum = {1'b0, head_q} + (PtrBits + 1)'(count_q);
    tail = (sum >= (PtrBits + 1)'(B)) ? PtrBits'(sum - (PtrBits + 1)'(B)) : sum[PtrBits-1:0];
  end

  always_comb begin
    for (int s = 0; s < B; s++) begin
      slot_d[s] = slot_q[s];
      wait_d[s] = (wait_q[s] != '0) ? wait_q[s] - WaitBits'(1) : '0;
    end
    head_d = head_q;
    count_d = count_q;
    if (pop_i) begin
      head_d = next_ptr(head_q);
      count_d = count_d - CountBits'(1);
    end
    if (wr_i) begin
      slot_d[tail] = wr_flit_i;
      wait_d[tail] = WaitStart;
      count_d = count_d + CountBits'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_q <= '0;
      count_q <= '0;
    end else begin
      head_q <= head_d;
      count_q <= count_d;
    end
  end

  // the slots need no reset: a slot is read only after it was written
  always_ff @(posedge clk_i) begin
    for (int s = 0; s < B; s++) begin
      slot_q[s] <= slot_d[s];
      wait_q[s] <= wait_d[s];
    end
  end

  assign head_flit_o = slot_q[head_q];
  assign head_ready_o = (count_q != '0) && (wait_q[head_q] == '0);
  assign count_o = count_q;

`ifndef SYNTHESIS
  // A sender without credit is a broken invariant (the C model asserts the same).
  assert property (@(posedge clk_i) disable iff (!rst_ni)
                   !(wr_i && !pop_i && count_q == CountBits'(B)))
    else $error("router_buffer: overflow, a sender had no credit");
  assert property (@(posedge clk_i) disable iff (!rst_ni) !(pop_i && count_q == '0))
    else $error("router_buffer: pop of an empty buffer");
`endif

endmodule
