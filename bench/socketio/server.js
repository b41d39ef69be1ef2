// The reference for realtime fan-out in `make bench`: a Socket.IO server
// doing what StackPro's gateway does for a channel, without storage:
// clients join a room, a publisher emits, the server broadcasts to the room
// and acknowledges. WebSocket transport only, as the load generator speaks.
// Usage: node server.js PORT
const { createServer } = require('node:http')
const { Server } = require('socket.io')

const port = Number(process.argv[2] || 3000)
const http = createServer()
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 65536 })

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room)
    if (typeof ack === 'function') ack()
  })
  socket.on('publish', (room, body, ack) => {
    io.to(room).emit('message', body)
    if (typeof ack === 'function') ack()
  })
})

http.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`))
