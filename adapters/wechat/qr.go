package wechat

import (
	"errors"
	"strings"
)

// A small QR code encoder (ISO/IEC 18004: byte mode, error correction level
// M, versions 1–6) for printing the login code in a terminal. The module
// carries no QR dependency, and the login URL is about 45 bytes, well within
// version 4. Versions 7 and up would need version-information blocks, which
// this encoder leaves out.

// qrVersion describes one version at level M: blocks of data codewords and
// the error-correction codewords per block.
type qrVersion struct {
	blocks    int
	dataPer   int
	ecPer     int
	alignment []int
}

var qrVersionsM = []qrVersion{
	1: {1, 16, 10, nil},
	2: {1, 28, 16, []int{6, 18}},
	3: {1, 44, 26, []int{6, 22}},
	4: {2, 32, 18, []int{6, 26}},
	5: {2, 43, 24, []int{6, 30}},
	6: {4, 27, 16, []int{6, 34}},
}

// qrCode is a square of modules; true is dark.
type qrCode struct {
	size     int
	dark     [][]bool
	function [][]bool
}

// qrEncode encodes data in the smallest version that holds it.
func qrEncode(data []byte) (*qrCode, error) {
	for v := 1; v < len(qrVersionsM); v++ {
		ver := qrVersionsM[v]
		capacity := ver.blocks * ver.dataPer
		// mode (4 bits) + count (8 bits) + data
		if 12+8*len(data) > capacity*8 {
			continue
		}
		codewords := qrCodewords(data, ver)
		return qrBuild(v, ver, codewords), nil
	}
	return nil, errors.New("qr: text too long")
}

// qrCodewords builds the data codewords, adds error correction per block
// and interleaves them.
func qrCodewords(data []byte, ver qrVersion) []byte {
	capacity := ver.blocks * ver.dataPer
	var bits []bool
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(0b0100, 4)
	put(len(data), 8)
	for _, b := range data {
		put(int(b), 8)
	}
	put(0, min(4, capacity*8-len(bits)))
	for len(bits)%8 != 0 {
		bits = append(bits, false)
	}
	buf := make([]byte, 0, capacity)
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := 0; j < 8; j++ {
			if bits[i+j] {
				b |= 1 << (7 - j)
			}
		}
		buf = append(buf, b)
	}
	for pad := byte(0xEC); len(buf) < capacity; pad ^= 0xEC ^ 0x11 {
		buf = append(buf, pad)
	}

	div := rsDivisor(ver.ecPer)
	var blocks, ecc [][]byte
	for i := 0; i < ver.blocks; i++ {
		blk := buf[i*ver.dataPer : (i+1)*ver.dataPer]
		blocks = append(blocks, blk)
		ecc = append(ecc, rsRemainder(blk, div))
	}
	var out []byte
	for i := 0; i < ver.dataPer; i++ {
		for _, b := range blocks {
			out = append(out, b[i])
		}
	}
	for i := 0; i < ver.ecPer; i++ {
		for _, e := range ecc {
			out = append(out, e[i])
		}
	}
	return out
}

// gfMul multiplies in GF(2^8) modulo x^8+x^4+x^3+x^2+1.
func gfMul(x, y byte) byte {
	var z int
	for i := 7; i >= 0; i-- {
		z = (z << 1) ^ ((z >> 7) * 0x11D)
		z ^= int(y>>i&1) * int(x)
	}
	return byte(z)
}

func rsDivisor(degree int) []byte {
	res := make([]byte, degree)
	res[degree-1] = 1
	root := byte(1)
	for i := 0; i < degree; i++ {
		for j := range res {
			res[j] = gfMul(res[j], root)
			if j+1 < degree {
				res[j] ^= res[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return res
}

func rsRemainder(data, div []byte) []byte {
	res := make([]byte, len(div))
	for _, b := range data {
		f := b ^ res[0]
		copy(res, res[1:])
		res[len(res)-1] = 0
		for i, c := range div {
			res[i] ^= gfMul(c, f)
		}
	}
	return res
}

func qrBuild(v int, ver qrVersion, codewords []byte) *qrCode {
	size := 17 + 4*v
	q := &qrCode{size: size, dark: grid(size), function: grid(size)}
	q.drawFunctions(ver)
	q.drawCodewords(codewords)
	best, bestScore := 0, -1
	for mask := 0; mask < 8; mask++ {
		q.applyMask(mask)
		q.drawFormat(mask)
		if s := q.penalty(); bestScore < 0 || s < bestScore {
			best, bestScore = mask, s
		}
		q.applyMask(mask) // XOR again undoes it
	}
	q.applyMask(best)
	q.drawFormat(best)
	return q
}

func grid(n int) [][]bool {
	g := make([][]bool, n)
	for i := range g {
		g[i] = make([]bool, n)
	}
	return g
}

func (q *qrCode) set(x, y int, dark bool) {
	q.dark[y][x] = dark
	q.function[y][x] = true
}

func (q *qrCode) drawFunctions(ver qrVersion) {
	n := q.size
	for i := 0; i < n; i++ {
		q.set(6, i, i%2 == 0)
		q.set(i, 6, i%2 == 0)
	}
	q.finder(3, 3)
	q.finder(n-4, 3)
	q.finder(3, n-4)
	al := ver.alignment
	for i, ax := range al {
		for j, ay := range al {
			if (i == 0 && j == 0) || (i == 0 && j == len(al)-1) || (i == len(al)-1 && j == 0) {
				continue // these overlap the finders
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.set(ax+dx, ay+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	q.drawFormat(0) // reserve the format areas; redrawn per mask
}

func (q *qrCode) finder(cx, cy int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			x, y := cx+dx, cy+dy
			if x < 0 || y < 0 || x >= q.size || y >= q.size {
				continue
			}
			d := max(abs(dx), abs(dy))
			q.set(x, y, d != 2 && d != 4)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// drawFormat writes the 15-bit format information (level M, mask) twice.
func (q *qrCode) drawFormat(mask int) {
	data := 0<<3 | mask // level M is 00
	rem := data
	for i := 0; i < 10; i++ {
		rem = (rem << 1) ^ ((rem >> 9) * 0x537)
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 == 1 }
	n := q.size
	for i := 0; i <= 5; i++ {
		q.set(8, i, bit(i))
	}
	q.set(8, 7, bit(6))
	q.set(8, 8, bit(7))
	q.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.set(14-i, 8, bit(i))
	}
	for i := 0; i < 8; i++ {
		q.set(n-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.set(8, n-15+i, bit(i))
	}
	q.set(8, n-8, true) // the dark module
}

func (q *qrCode) drawCodewords(data []byte) {
	n := q.size
	i := 0
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := 0; vert < n; vert++ {
			for j := 0; j < 2; j++ {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if q.function[y][x] {
					continue
				}
				if i < len(data)*8 {
					q.dark[y][x] = data[i>>3]>>(7-i&7)&1 == 1
					i++
				}
			}
		}
	}
}

func (q *qrCode) applyMask(mask int) {
	for y := 0; y < q.size; y++ {
		for x := 0; x < q.size; x++ {
			if q.function[y][x] {
				continue
			}
			var flip bool
			switch mask {
			case 0:
				flip = (x+y)%2 == 0
			case 1:
				flip = y%2 == 0
			case 2:
				flip = x%3 == 0
			case 3:
				flip = (x+y)%3 == 0
			case 4:
				flip = (x/3+y/2)%2 == 0
			case 5:
				flip = x*y%2+x*y%3 == 0
			case 6:
				flip = (x*y%2+x*y%3)%2 == 0
			case 7:
				flip = ((x+y)%2+x*y%3)%2 == 0
			}
			if flip {
				q.dark[y][x] = !q.dark[y][x]
			}
		}
	}
}

// penalty scores a masked symbol; the mask with the lowest score is used.
func (q *qrCode) penalty() int {
	n := q.size
	score := 0
	at := func(x, y int, rows bool) bool {
		if rows {
			return q.dark[y][x]
		}
		return q.dark[x][y]
	}
	finderLike := []bool{true, false, true, true, true, false, true}
	for _, rows := range []bool{true, false} {
		for y := 0; y < n; y++ {
			run := 1
			for x := 1; x <= n; x++ {
				if x < n && at(x, y, rows) == at(x-1, y, rows) {
					run++
					continue
				}
				if run >= 5 {
					score += 3 + run - 5
				}
				run = 1
			}
			for x := 0; x+7 <= n; x++ {
				match := true
				for k, d := range finderLike {
					if at(x+k, y, rows) != d {
						match = false
						break
					}
				}
				if !match {
					continue
				}
				light := func(from, to int) bool {
					for k := from; k < to; k++ {
						if k >= 0 && k < n && at(k, y, rows) {
							return false
						}
					}
					return true
				}
				if light(x-4, x) || light(x+7, x+11) {
					score += 40
				}
			}
		}
	}
	dark := 0
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if q.dark[y][x] {
				dark++
			}
			if x+1 < n && y+1 < n {
				c := q.dark[y][x]
				if q.dark[y][x+1] == c && q.dark[y+1][x] == c && q.dark[y+1][x+1] == c {
					score += 3
				}
			}
		}
	}
	total := n * n
	k := (abs(dark*20-total*10)+total-1)/total - 1
	score += k * 10
	return score
}

// qrText renders content as a QR code in text blocks, two module rows per
// line. Light modules are drawn as blocks, for the usual dark terminal
// background; on a light background, open the URL printed beside it.
func qrText(content string) (string, error) {
	q, err := qrEncode([]byte(content))
	if err != nil {
		return "", err
	}
	const quiet = 2
	n := q.size
	light := func(x, y int) bool {
		if x < 0 || y < 0 || x >= n || y >= n {
			return true
		}
		return !q.dark[y][x]
	}
	var b strings.Builder
	for y := -quiet; y < n+quiet; y += 2 {
		for x := -quiet; x < n+quiet; x++ {
			top, bottom := light(x, y), light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}
