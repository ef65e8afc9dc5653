/*
 * bcryptprimitives.dll for Wine 8, which lacks it: the Go runtime (1.24 and
 * later) fills its random state from ProcessPrng and fails to start without
 * it. ProcessPrng(PBYTE, SIZE_T) is documented to always return TRUE; here
 * it is built on advapi32's RtlGenRandom (exported as SystemFunction036),
 * which Wine has. Built by .ci/test-windows into the Wine prefix only: it
 * is never part of restel.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
