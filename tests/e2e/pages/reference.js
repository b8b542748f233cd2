// A client written the way the reference notes' page is written (shared
// reference/000_9901d5414059e876.txt, section 3.1), to prove that style of
// client still works against mediapeer-signal: a classic script with global
// variables, callback-style createOffer/createAnswer, addStream/onaddstream
// where the browser still has them, payloads read back with JSON.parse, and
// every frame after the first call carrying `name` from the "peer" text box,
// which on the called side is usually left empty.
// Only the two things the notes tie to their own machine differ: the
// WebSocket URL (this page's own server) and iceServers (none: loopback).

var myName, connectedUser, yourConnection, stream, dataChannel;

var usernameInput = document.querySelector("#username"),
    loginButton = document.querySelector("#login"),
    theirUsernameInput = document.querySelector("#their-username"),
    callButton = document.querySelector("#call"),
    hangUpButton = document.querySelector("#hang-up"),
    messageInput = document.querySelector("#message"),
    sendButton = document.querySelector("#send"),
    received = document.querySelector("#received"),
    yourVideo = document.querySelector("#yours"),
    theirVideo = document.querySelector("#theirs");

var connection = new WebSocket("ws://" + location.host + "/");

connection.onopen = function () {
  console.log("Connected");
};

connection.onmessage = function (message) {
  console.log("Got message", message.data);
  var data = JSON.parse(message.data);
  switch (data.type) {
    case "login":
      onLogin(data.success);
      break;
    case "offer":
      onOffer(data.offer, data.name);
      break;
    case "answer":
      onAnswer(data.answer);
      break;
    case "candidate":
      onCandidate(data.candidate);
      break;
    case "leave":
      onLeave();
      break;
    default:
      console.log("unhandled message", data);
      break;
  }
};

connection.onerror = function (err) {
  console.log("Got error", err);
};

function send(message) {
  if (connectedUser) {
    message.name = theirUsernameInput.value;
    message.myName = usernameInput.value;
  }
  connection.send(JSON.stringify(message));
}

loginButton.addEventListener("click", function () {
  myName = usernameInput.value;
  if (myName.length > 0) {
    send({ type: "login", name: myName });
  }
});

function onLogin(success) {
  if (success === false) {
    alert("Login unsuccessful, please try a different name.");
  } else {
    startConnection();
  }
}

function startConnection() {
  navigator.mediaDevices.getUserMedia({ audio: false, video: { width: 320, height: 240 } })
    .then(function (mediaStream) {
      stream = mediaStream;
      yourVideo.srcObject = mediaStream;
      setupPeerConnection(mediaStream);
    })
    .catch(function (err) {
      console.log(err.name + ": " + err.message);
    });
}

function setupPeerConnection(stream) {
  var configuration = { iceServers: [] };
  yourConnection = new RTCPeerConnection(configuration);

  if (yourConnection.addStream) {
    yourConnection.addStream(stream);
  } else {
    stream.getTracks().forEach(function (track) {
      yourConnection.addTrack(track, stream);
    });
  }
  if ("onaddstream" in yourConnection) {
    yourConnection.onaddstream = function (e) {
      theirVideo.srcObject = e.stream;
    };
  } else {
    yourConnection.ontrack = function (e) {
      theirVideo.srcObject = e.streams[0];
    };
  }

  yourConnection.onicecandidate = function (event) {
    if (event.candidate) {
      send({ type: "candidate", candidate: event.candidate });
    }
  };

  openDataChannel();
}

function showMessage(text) {
  received.innerHTML += text + "<br />";
  received.scrollTop = received.scrollHeight;
}

function listenToChannel() {
  dataChannel.onmessage = function (event) {
    console.log("Got Data Channel Message:", event.data);
    showMessage(event.data);
  };
  dataChannel.onopen = function () {
    dataChannel.send("datachannel has connected.");
  };
  dataChannel.onclose = function () {
    console.log("The Data Channel is Closed");
  };
}

function openDataChannel() {
  dataChannel = yourConnection.createDataChannel("myLabel");
  yourConnection.ondatachannel = function (event) {
    dataChannel = event.channel;
    listenToChannel();
  };
  listenToChannel();
}

sendButton.addEventListener("click", function () {
  var val = messageInput.value;
  showMessage(val);
  dataChannel.send(val);
});

callButton.addEventListener("click", function () {
  var theirUsername = theirUsernameInput.value;
  if (theirUsername.length > 0) {
    startPeerConnection(theirUsername);
  }
});

function startPeerConnection(theirUser) {
  connectedUser = theirUser;
  yourConnection.createOffer(function (offer) {
    send({ type: "offer", offer: offer });
    yourConnection.setLocalDescription(offer);
  }, function (error) {
    alert("An error has occurred: " + error);
  });
}

function onOffer(offer, name) {
  connectedUser = name;
  var offerJson = JSON.parse(offer);
  yourConnection.setRemoteDescription(new RTCSessionDescription(offerJson), function () {
    console.log("setRemoteDescription success");
  }, function (error) {
    console.log("setRemoteDescription failed", error);
  });
  yourConnection.createAnswer(function (answer) {
    yourConnection.setLocalDescription(answer);
    send({ type: "answer", answer: answer });
  }, function (error) {
    alert("An error has occurred: " + error);
  });
}

function onAnswer(answer) {
  var answerJson = JSON.parse(answer);
  yourConnection.setRemoteDescription(new RTCSessionDescription(answerJson));
}

function onCandidate(candidate) {
  var candidateJson = JSON.parse(candidate);
  yourConnection.addIceCandidate(new RTCIceCandidate(candidateJson));
}

hangUpButton.addEventListener("click", function () {
  send({ type: "leave" });
  onLeave();
});

function onLeave() {
  connectedUser = null;
  theirVideo.srcObject = null;
  yourConnection.close();
  yourConnection.onicecandidate = null;
  yourConnection.onaddstream = null;
  setupPeerConnection(stream);
}
