/* Plain replay driver: runs every file named (directories: every file in
 * them) through LLVMFuzzerTestOneInput once.  Built with the normal compiler;
 * under ASan+UBSan in ci/test.sh it keeps every corpus and regression input
 * passing.  Usage: <target>_replay FILE|DIR... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
run_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    {
      perror (path);
      return -1;
    }
  fseek (f, 0, SEEK_END);
  long n = ftell (f);
  fseek (f, 0, SEEK_SET);
  uint8_t *buf = malloc (n > 0 ? (size_t) n : 1);
  size_t got = fread (buf, 1, (size_t) n, f);
  fclose (f);
  LLVMFuzzerTestOneInput (buf, got);
  free (buf);
  return 0;
}

static int
run_path (const char *path, int *count)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      perror (path);
      return -1;
    }
  if (!S_ISDIR (st.st_mode))
    {
      (*count)++;
      return run_file (path);
    }
  DIR *d = opendir (path);
  struct dirent *de;
  int rc = 0;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      char sub[4096];
      snprintf (sub, sizeof (sub), "%s/%s", path, de->d_name);
      struct stat s2;
      if (stat (sub, &s2) == 0 && S_ISDIR (s2.st_mode))
        rc |= run_path (sub, count);
      else
        {
          (*count)++;
          rc |= run_file (sub);
        }
    }
  if (d)
    closedir (d);
  return rc;
}

int
main (int argc, char **argv)
{
  int count = 0, rc = 0;
  for (int i = 1; i < argc; i++)
    rc |= run_path (argv[i], &count);
  printf ("replayed %d inputs\n", count);
  if (count == 0)
    {
      fprintf (stderr, "no inputs\n");
      return 1;
    }
  return rc ? 1 : 0;
}
