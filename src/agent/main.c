/* vigie-agent: placeholder until the engine lands. */
#include <stdio.h>
int main(void)
{
	puts("vigie-agent " VIGIE_VERSION);
	return 0;
}
