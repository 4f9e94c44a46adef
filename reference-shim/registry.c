/* containerd-shim-ref-v1: the tasks a service knows (registry.h). */
#include <string.h>

#include "registry.h"

container *
registry_find (task_service *s, const char *id)
{
  for (container *c = s->containers; c; c = c->next)
    if (strcmp (c->id, id) == 0)
      return c;
  return NULL;
}

/* the same directory, spelled with or without trailing slashes */
static bool
same_dir (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (lb > 1 && b[lb - 1] == '/')
    lb--;
  return la == lb && memcmp (a, b, la) == 0;
}

container *
registry_find_bundle (task_service *s, const char *bundle)
{
  for (container *c = s->containers; c; c = c->next)
    if (same_dir (c->bundle, bundle))
      return c;
  return NULL;
}

void
registry_add (task_service *s, container *c)
{
  c->svc = s;
  c->next = s->containers;
  s->containers = c;
}

void
registry_remove (task_service *s, container *c)
{
  for (container **pp = &s->containers; *pp; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        return;
      }
}

process *
process_find (container *c, const char *exec_id)
{
  if (exec_id == NULL || *exec_id == '\0')
    return c->init;
  for (process *p = c->execs; p; p = p->next)
    if (strcmp (p->id, exec_id) == 0)
      return p;
  return NULL;
}
