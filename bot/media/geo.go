package media

import "math"

// China's maps (and WeChat's location messages) use GCJ-02, an official
// obfuscation of WGS-84 that shifts points by a few hundred metres. The
// forward transform is public; the inverse has no closed form and is found
// by iterating the forward one, to well under a metre.

const (
	gcjA  = 6378245.0              // the Krasovsky ellipsoid's semi-major axis
	gcjEE = 0.00669342162296594323 // its eccentricity squared
)

// inChina is the rough box GCJ-02 applies in; outside it the datums agree.
func inChina(lat, lon float64) bool {
	return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271
}

// WGS84ToGCJ02 shifts a GPS position into China's map datum.
func WGS84ToGCJ02(lat, lon float64) (float64, float64) {
	if !inChina(lat, lon) {
		return lat, lon
	}
	x, y := lon-105.0, lat-35.0
	dLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320.0*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = dLat * 180.0 / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = dLon * 180.0 / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return lat + dLat, lon + dLon
}

// GCJ02ToWGS84 turns a position from China's map datum (WeChat, Tencent
// and AMap maps) back into GPS coordinates, which OpenStreetMap uses.
func GCJ02ToWGS84(lat, lon float64) (float64, float64) {
	if !inChina(lat, lon) {
		return lat, lon
	}
	wLat, wLon := lat, lon
	for range 30 {
		gLat, gLon := WGS84ToGCJ02(wLat, wLon)
		dLat, dLon := gLat-lat, gLon-lon
		wLat, wLon = wLat-dLat, wLon-dLon
		if math.Abs(dLat) < 1e-9 && math.Abs(dLon) < 1e-9 {
			break
		}
	}
	return wLat, wLon
}
