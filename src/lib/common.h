/*
 * common.h - Small macros shared by every layer.
 */
#ifndef VG_COMMON_H
#define VG_COMMON_H

/* static in release builds; visible to the unit tests in test builds. */
#ifdef VG_TESTING
#define VG_STATIC
#else
#define VG_STATIC static
#endif

/* Every program's -D HOME default, like Wazuh's /var/ossec. */
#define VG_DEFAULT_HOME "/var/vigie"

#define VG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define VG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VG_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
