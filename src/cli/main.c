/* vigie: placeholder until the commands land. */
#include <stdio.h>
int main(void)
{
	puts("vigie " VIGIE_VERSION);
	return 0;
}
