import type { IconName } from '@/components/ui/Icon'

export interface Upcoming {
  title: string
  icon: IconName
  summary: string
  points: string[]
}

export const UPCOMING: Record<string, Upcoming> = {
  domains: {
    title: 'Domains',
    icon: 'domain',
    summary: 'Connect your own domain names to your site and email.',
    points: [
      'Step-by-step DNS setup with live checks',
      'Free HTTPS certificates, issued and renewed automatically',
      'Use several domains for one workspace',
    ],
  },
}
