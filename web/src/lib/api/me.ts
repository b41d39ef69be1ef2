import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from './client'
import { queryKeys } from './queryKeys'
import { useSession } from './session'

/** The signed-in user, workspace and role. Shared by the shell and every feature. */
export function useMe() {
  const session = useSession()
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: () => unwrap(api.GET('/api/v1/me')),
    enabled: session !== null,
    staleTime: 60_000,
  })
}
