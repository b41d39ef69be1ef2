import type { SiteAsset } from '@/lib/api/types'

/** The smallest size at least `min` pixels wide (or the largest there is), for thumbnails. */
export function thumbnailOf(asset: SiteAsset, min = 320): string {
  const sizes = [...asset.variants].sort((a, b) => a.width - b.width)
  return (sizes.find((v) => v.width >= min) ?? sizes.at(-1))?.url ?? asset.url
}
