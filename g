a.o: a.c
