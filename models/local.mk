# %D%/ fragment of the non-recursive build (see the top Makefile.am).
EXTRA_DIST += %D%/README.md
