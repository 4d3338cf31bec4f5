/*
 * commands.h — the subcommands of the spikechip binary. Each module owns the entry point of the
 * subcommand it implements (arch/ owns `spikechip arch`, ...); cli/spikechip.c only dispatches.
 *
 * An entry point takes argv as the subcommand sees it (argv[0] is the subcommand name), handles
 * its own --help, and returns the process exit status (SPK_EXIT_* of util/util.h).
 */
#ifndef SPK_CLI_COMMANDS_H
#define SPK_CLI_COMMANDS_H

int spk_arch_main(int argc, char **argv);	/* arch/arch_cmd.c */
int spk_rtl_params_main(int argc, char **argv);	/* rtl/rtl_cmd.c: arch rtl-params */
int spk_rtl_main(int argc, char **argv);		/* rtl/rtl_ports.cpp: rtl replay */
int spk_run_main(int argc, char **argv);	/* cli/run.c */
int spk_trace_main(int argc, char **argv);	/* traces/trace_cmd.c */
int spk_ref_main(int argc, char **argv);	/* models/ref_cmd.c */
int spk_map_main(int argc, char **argv);	/* mapper/map_cmd.c */
int spk_sim_main(int argc, char **argv);	/* sim/sim_cmd.c */
int spk_energy_main(int argc, char **argv);	/* sim/energy_cmd.c */
int spk_sweep_main(int argc, char **argv);	/* dse/sweep_cmd.c */
int spk_noc_main(int argc, char **argv);		/* sim/noc_cmd.c */
int spk_report_main(int argc, char **argv);	/* report/report_cmd.c */

/*
 * `spikechip sim`'s checks of --jobs and --engine, shared with `spikechip run` (which checks
 * them before it compiles anything). 0 with the value set, or the message "CMD: --jobs 'ARG' is
 * not ..." printed and SPK_EXIT_USAGE returned.
 */
int spk_sim_opt_jobs(const char *cmd, const char *arg, long *jobs);
int spk_sim_opt_engine(const char *cmd, const char *arg, int *systemc);

#endif
